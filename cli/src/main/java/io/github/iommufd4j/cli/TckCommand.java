package io.github.iommufd4j.cli;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.tck.TckRunner;
import io.github.iommufd4j.tck.TckSummary;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tck}: runs the conformance kit against a backend and writes JUnit XML and Markdown reports. */
@Command(name = "tck", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Runs the TCK (the kernel errno contract and QEMU's rules on top) against a backend.",
                "Prints one line per rule as it finishes (on stderr), then the summary table; writes "
                        + "TEST-junit-jupiter.xml and " + TckRunner.MARKDOWN_REPORT + " into the report directory."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:no rule failed (skipped optional rules do not count)", "1:internal error",
                "2:invalid arguments or the backend cannot run here", "5:a rule failed"})
final class TckCommand implements Callable<Integer> {
    /** Exit status: some rule failed. */
    static final int EXIT_RULE_FAILED = 5;

    @Spec
    CommandSpec spec;

    @Mixin
    BackendChoice backend;

    @Option(names = "--report-dir", paramLabel = "DIR", defaultValue = "tck-report",
            description = "Where the JUnit XML and Markdown reports go (default: ${DEFAULT-VALUE}).")
    Path reportDir;

    @Option(names = "--quiet", description = "No progress lines.")
    boolean quiet;

    @Option(names = "--verbose", description = "Print the stack trace of an internal error.")
    boolean verbose;

    @Override
    public Integer call() {
        return CommandErrors.run(spec, verbose, this::verify);
    }

    private int verify() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        backend.availableProvider("tck");
        BackendOptions options = backend.parsedOptions("tck");
        TckSummary summary = TckRunner.run(backend.name, options, reportDir, line -> {
            if (!quiet) {
                err.println(line);
                err.flush();
            }
        });
        out.println(summary.table());
        out.println(summary.headline());
        out.println("reports: " + reportDir.toAbsolutePath());
        return summary.passed() ? 0 : EXIT_RULE_FAILED;
    }
}
