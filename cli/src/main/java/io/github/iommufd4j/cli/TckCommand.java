package io.github.iommufd4j.cli;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.api.IommufdBackends;
import io.github.iommufd4j.tck.TckRunner;
import io.github.iommufd4j.tck.TckSummary;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tck}: runs the conformance kit against a backend and writes JUnit XML and Markdown reports. */
@Command(name = "tck", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Runs the TCK (the kernel errno contract and QEMU's rules on top) against a backend.",
                "Prints one line per rule as it finishes (on stderr), then the summary table, every failure in full"
                        + " (rule, call, expected, actual, hint) and every skip with its reason; writes "
                        + "TEST-junit-jupiter.xml and " + TckRunner.MARKDOWN_REPORT + " into the report directory.",
                "A backend of your own: --class-path YOUR.jar --backend NAME."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:every required rule ran and no rule failed (skipped optional rules do not count)",
                "1:internal error", "2:invalid arguments, or the backend cannot run here or rejects its options",
                "5:a rule failed, or a required rule was skipped"})
final class TckCommand implements Callable<Integer> {
    /** Exit status: some rule failed, or a required rule was skipped. */
    static final int EXIT_RULE_FAILED = 5;

    /** QEMU's warnings, provoked by the rules on purpose, are part of what the TCK checks: logged only with --verbose. */
    private static final Logger QEMU_LOG = Logger.getLogger("io.github.iommufd4j.qemu");

    @Spec
    CommandSpec spec;

    @Mixin
    BackendChoice backend;

    @Option(names = "--report-dir", paramLabel = "DIR", defaultValue = "tck-report",
            description = "Where the JUnit XML and Markdown reports go (default: ${DEFAULT-VALUE}).")
    Path reportDir;

    @Option(names = "--quiet", description = "No progress lines.")
    boolean quiet;

    @Option(names = "--verbose", description = "Log QEMU's warnings as the rules provoke them; print the stack trace of"
            + " an internal error.")
    boolean verbose;

    @Override
    public Integer call() {
        return CommandErrors.run(spec, verbose, this::verify);
    }

    private int verify() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        requireChoiceWhenUserBackendsArePresent();
        backend.open("tck").close(); // the backend runs here and takes its options, or the run stops before any rule
        BackendOptions options = backend.parsedOptions("tck");
        Level before = QEMU_LOG.getLevel();
        QEMU_LOG.setLevel(verbose ? before : Level.OFF);
        TckSummary summary;
        try {
            summary = TckRunner.run(backend.name, options, reportDir, line -> {
                if (!quiet) {
                    err.println(line);
                    err.flush();
                }
            });
        } catch (IllegalArgumentException e) {
            throw new CommandErrors.InvalidInput("tck: " + e.getMessage());
        } catch (UncheckedIOException e) {
            throw new CommandErrors.InvalidInput("tck: --report-dir " + reportDir + ": " + e.getMessage());
        } finally {
            QEMU_LOG.setLevel(before);
        }
        out.print(summary.table());
        String details = summary.details();
        if (!details.isEmpty()) {
            out.println();
            out.print(details);
        }
        out.println();
        out.println(summary.headline());
        out.println(summary.verdict());
        out.println("reports: " + reportDir.toAbsolutePath());
        return summary.passed() ? 0 : EXIT_RULE_FAILED;
    }

    /**
     * With backends of the user's own on the class path, {@code --backend} must name the one to verify: falling
     * back to the built-in mock would verify something nobody asked about.
     */
    private void requireChoiceWhenUserBackendsArePresent() {
        if (spec.commandLine().getParseResult().hasMatchedOption("--backend")) {
            return;
        }
        List<String> builtIn = ServiceLoader.load(IommufdBackendProvider.class, Main.class.getClassLoader()).stream()
                .map(p -> p.get().name()).toList();
        List<String> added = IommufdBackends.providers().stream().map(IommufdBackendProvider::name)
                .filter(n -> !builtIn.contains(n)).toList();
        if (!added.isEmpty()) {
            throw new CommandErrors.InvalidInput("tck: the class path brings " + (added.size() == 1 ? "backend " : "backends ")
                    + String.join(", ", added) + " besides the built-in " + String.join(", ", builtIn)
                    + ": name the one to verify with --backend NAME");
        }
    }
}
