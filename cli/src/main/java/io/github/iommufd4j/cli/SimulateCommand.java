package io.github.iommufd4j.cli;

import io.github.iommufd4j.simulator.io.ParsedScenario;
import io.github.iommufd4j.simulator.io.ReportJson;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.api.IommufdBackends;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.SimulationOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code simulate FILE...}: reads every scenario first (any invalid one: exit 2, nothing run), then runs each
 * and prints its report, or with {@code --diagram} only the final topology as a diagram.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Runs scenario files (.yaml, .yml, .json) through QEMU's rules and prints the reports.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:ran (whatever its steps did)", "1:internal error", "2:invalid scenario or arguments",
                "3:lost dirty pages with --fail-on-lost (checked before leaks)",
                "4:leaked backend objects with --fail-on-leak"})
final class SimulateCommand implements java.util.concurrent.Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Scenario files.")
    List<Path> files = new ArrayList<>();

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Backend to run on, over the scenario's own (default: the scenario's, else mock).")
    String backend;

    @Option(names = "--backend-option", paramLabel = "KEY=VALUE",
            description = "An option for opening the backend (e.g. source=selftest for linux); repeatable.")
    List<String> backendOptions = new ArrayList<>();

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Profile to run, over the scenario's own (default: the scenario's, else qemu-9.1).")
    String profile;

    @Option(names = "--format", paramLabel = "text|json",
            description = "Report format (default: text on a terminal, json otherwise).")
    String format;

    @Option(names = "--diagram", paramLabel = "mermaid|dot",
            description = "Print only the final topology as a Mermaid or Graphviz DOT diagram, instead of the report.")
    String diagram;

    @Option(names = "--fail-on-lost", description = "Exit with status 3 when a report has lost dirty pages.")
    boolean failOnLost;

    @Option(names = "--fail-on-leak", description = "Exit with status 4 when a report has leaked backend objects.")
    boolean failOnLeak;

    @Option(names = "--verbose", description = "Print the stack trace of an internal error.")
    boolean verbose;

    /** Core logs each warning as it happens; the report already carries them, so only --verbose shows the log. */
    private static final Logger CORE_LOG = Logger.getLogger("io.github.iommufd4j");

    private final ScenarioRunner runner;

    SimulateCommand() {
        this(new CoreScenarioRunner());
    }

    SimulateCommand(ScenarioRunner runner) {
        this.runner = runner;
    }

    @Override
    public Integer call() {
        return CommandErrors.run(spec, verbose, this::simulate);
    }

    private int simulate() {
        CORE_LOG.setLevel(verbose ? Level.ALL : Level.OFF);
        boolean json = chooseFormat();
        TopologyDiagram.Kind diagramKind = chooseDiagram();
        checkProfile();
        checkBackend();
        SimulationOptions options = new SimulationOptions(backend, profile, parseBackendOptions());
        List<ParsedScenario> scenarios = ScenarioFiles.readAll(files, backend);
        PrintWriter out = spec.commandLine().getOut();
        boolean lost = false;
        boolean leaked = false;
        for (int i = 0; i < scenarios.size(); i++) {
            Scenario s = scenarios.get(i).scenario();
            SimulationReport report = runner.run(s, options);
            lost |= !report.dirty().lost().isEmpty();
            leaked |= !report.leakedObjects().isEmpty();
            if (i > 0 && (diagramKind != null || !json)) {
                out.println();
            }
            if (diagramKind != null) {
                out.print(TopologyDiagram.render(diagramKind, report, s));
            } else if (json) {
                out.print(ReportJson.write(report));
            } else {
                out.print(ReportText.render(report, s));
            }
            out.flush();
        }
        if (failOnLost && lost) {
            return Main.EXIT_LOST;
        }
        if (failOnLeak && leaked) {
            return Main.EXIT_LEAK;
        }
        return 0;
    }

    private boolean chooseFormat() {
        if (format == null) {
            return System.console() == null;
        }
        return switch (format) {
            case "json" -> true;
            case "text" -> false;
            default -> throw new CommandErrors.InvalidInput("simulate: --format '" + format + "' is unknown; expected text or json");
        };
    }

    private TopologyDiagram.Kind chooseDiagram() {
        if (diagram == null) {
            return null;
        }
        return switch (diagram) {
            case "mermaid" -> TopologyDiagram.Kind.MERMAID;
            case "dot" -> TopologyDiagram.Kind.DOT;
            default -> throw new CommandErrors.InvalidInput("simulate: --diagram '" + diagram
                    + "' is unknown; expected mermaid or dot");
        };
    }

    private void checkProfile() {
        if (profile != null && !Scenario.knownProfiles().contains(profile)) {
            throw new CommandErrors.InvalidInput("simulate: --profile '" + profile + "' is unknown; expected one of "
                    + String.join(", ", Scenario.knownProfiles()));
        }
    }

    private BackendOptions parseBackendOptions() {
        try {
            return BackendOptions.parse(backendOptions);
        } catch (IllegalArgumentException e) {
            throw new CommandErrors.InvalidInput("simulate: " + e.getMessage());
        }
    }

    private void checkBackend() {
        if (backend == null) {
            return;
        }
        IommufdBackendProvider provider = providers().stream().filter(p -> p.name().equals(backend)).findFirst()
                .orElseThrow(() -> new CommandErrors.InvalidInput("simulate: --backend '" + backend
                        + "' is unknown; expected one of " + providerNames()));
        if (!provider.availability().available()) {
            throw new CommandErrors.InvalidInput("simulate: backend '" + backend + "' cannot run here: "
                    + provider.availability().reason());
        }
    }

    private static List<IommufdBackendProvider> providers() {
        return IommufdBackends.providers();
    }

    private static String providerNames() {
        return ScenarioFiles.providerNames();
    }
}
