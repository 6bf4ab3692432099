package io.github.iommufd4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.simulator.SimulationException;
import io.github.iommufd4j.simulator.Simulator;
import io.github.iommufd4j.simulator.compare.PolicyComparison;
import io.github.iommufd4j.simulator.io.ParsedScenario;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code compare}: the same scenarios (seeded generated ones, or files) under several profiles, side by side: pages
 * lost, pages copied (needed, over-reported, perpetual), HWPTs, backend calls, devices allowed to migrate, failed
 * attaches; as a table or JSON, and optionally a chart of pages lost against pages copied.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Runs the same scenarios under several profiles and compares what each loses and costs.")
final class CompareCommand implements Callable<Integer> {
    /** The profiles compared when none is named: the QEMU versions, the July 2024 proposal, and safe. */
    static final List<String> DEFAULT_PROFILES = List.of("qemu-9.1", "qemu-10.0", "qemu-9.1+split-containers", "safe");

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "FILE", description = "Scenario files (default: generated scenarios).")
    List<Path> files = new ArrayList<>();

    @Option(names = "--profile", paramLabel = "NAME", split = ",",
            description = "Profiles to compare, repeatable or comma-separated (default: qemu-9.1, qemu-10.0, "
                    + "qemu-9.1+split-containers, safe).")
    List<String> profiles = new ArrayList<>();

    @Option(names = "--count", paramLabel = "N", defaultValue = "1000",
            description = "Generated scenarios when no FILE is given (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "0x5afe0000",
            description = "First seed of the generated scenarios, decimal or 0x hex (default: ${DEFAULT-VALUE}).")
    String seed;

    @Option(names = "--no-faults", description = "Generate scenarios without fault steps.")
    boolean noFaults;

    @Option(names = "--migrations-only", description = "Generate only what a real QEMU can be asked to do, as the"
            + " qemu-lab does: hot-plug, unplug, migrations with writes (each ends with its final sync), faults;"
            + " QEMU's guest memory. Without it, scenarios also start and stop tracking bare, and a stop without a"
            + " sync before it loses what was written since the last one, in every profile that does not flush.")
    boolean migrationsOnly;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Output format (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--chart", paramLabel = "FILE.svg|FILE.png",
            description = "Also draw pages lost against pages copied, per profile, into this file.")
    Path chart;

    @Option(names = "--verbose", description = "Print the stack trace of an internal error.")
    boolean verbose;

    @Override
    public Integer call() {
        return CommandErrors.run(spec, verbose, this::compare);
    }

    private int compare() {
        Logger.getLogger("io.github.iommufd4j").setLevel(verbose ? Level.ALL : Level.OFF);
        boolean json = switch (format) {
            case "json" -> true;
            case "text" -> false;
            default -> throw new CommandErrors.InvalidInput("compare: --format '" + format + "' is unknown; expected text or json");
        };
        if (chart != null && ComparisonChart.Kind.of(chart) == null) {
            throw new CommandErrors.InvalidInput("compare: --chart " + chart + ": unknown file type; expected a .svg or .png file");
        }
        Path chartDir = chart == null ? null : chart.toAbsolutePath().getParent();
        if (chartDir != null && Files.exists(chartDir) && (!Files.isDirectory(chartDir) || !Files.isWritable(chartDir))) {
            throw new CommandErrors.InvalidInput("compare: --chart " + chart + ": " + chartDir
                    + " is not a writable directory");
        }
        List<Profile> chosen = profiles();
        Source source = scenarios();
        List<PolicyComparison.Figures> figures;
        try {
            figures = PolicyComparison.compare(new Simulator(), source.scenarios(), chosen);
        } catch (SimulationException e) {
            throw new CommandErrors.InvalidInput("compare: " + e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(source, figures) : ComparisonTable.render(source.description(), figures));
        out.flush();
        if (chart != null) {
            try {
                ComparisonChart.write(chart, source.description(), figures);
            } catch (UncheckedIOException e) {
                throw new CommandErrors.InvalidInput("compare: --chart: " + e.getMessage());
            }
            if (!json) {
                out.println("chart: " + chart);
            }
        }
        return 0;
    }

    private List<Profile> profiles() {
        List<String> names = profiles.isEmpty() ? DEFAULT_PROFILES : profiles;
        List<Profile> out = new ArrayList<>();
        for (String n : names) {
            try {
                out.add(Profile.named(n.trim()));
            } catch (IllegalArgumentException e) {
                throw new CommandErrors.InvalidInput("compare: --profile: " + e.getMessage());
            }
        }
        return out;
    }

    /** Where the scenarios came from, for the output's heading. */
    record Source(String description, List<Scenario> scenarios, Map<String, Object> json) {
    }

    private Source scenarios() {
        if (!files.isEmpty()) {
            List<Scenario> out = ScenarioFiles.readAll(files, null).stream().map(ParsedScenario::scenario).toList();
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("files", files.stream().map(Path::toString).toList());
            return new Source(out.size() + " scenario file(s)", out, j);
        }
        if (count < 1) {
            throw new CommandErrors.InvalidInput("compare: --count " + count + " must be at least 1");
        }
        long first = parseSeed();
        ScenarioGenerator.Options base = migrationsOnly ? ScenarioGenerator.Options.qemuLab()
                : ScenarioGenerator.Options.defaults();
        ScenarioGenerator.Options options = noFaults ? base.withoutFaults() : base;
        List<Scenario> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(ScenarioGenerator.generate(first + i, options));
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("generated", count);
        j.put("seed", "0x" + Long.toHexString(first));
        j.put("faults", !noFaults);
        j.put("migrationsOnly", migrationsOnly);
        return new Source(count + " generated scenarios, seeds 0x" + Long.toHexString(first) + " to 0x"
                + Long.toHexString(first + count - 1) + (migrationsOnly ? ", migrations only" : "")
                + (noFaults ? ", no faults" : ", with faults"), out, j);
    }

    private long parseSeed() {
        try {
            String s = seed.trim();
            return s.startsWith("0x") || s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new CommandErrors.InvalidInput("compare: --seed '" + seed + "' is not a number; expected decimal or 0x hex");
        }
    }

    private static String json(Source source, List<PolicyComparison.Figures> figures) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("scenarios", source.json());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (PolicyComparison.Figures f : figures) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("profile", f.profile());
            r.put("scenarios", f.scenarios());
            r.put("scenariosLosingPages", f.scenariosLosingPages());
            r.put("pagesWritten", f.pagesWritten());
            r.put("pagesLost", f.pagesLost());
            r.put("pagesCopied", f.costs().copied());
            r.put("pagesNeeded", f.costs().needed());
            r.put("pagesOverReported", f.costs().overReported());
            r.put("pagesPerpetual", f.costs().perpetual());
            r.put("hwptsAllocated", f.hwptsAllocated());
            r.put("backendCalls", f.backendCalls());
            r.put("devicesAllowedToMigrate", f.devicesAllowedToMigrate());
            r.put("failedAttaches", f.failedAttaches());
            rows.add(r);
        }
        root.put("profiles", rows);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root)
                    + System.lineSeparator();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the comparison as JSON", e);
        }
    }
}
