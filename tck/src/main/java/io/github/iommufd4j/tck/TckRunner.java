package io.github.iommufd4j.tck;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.github.iommufd4j.api.BackendOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.reporting.legacy.xml.LegacyXmlReportGeneratingListener;

/**
 * Runs the TCK from code (the command line's {@code tck} command) with the JUnit Platform Launcher, writes a
 * JUnit XML report ({@code TEST-junit-jupiter.xml}) and a Markdown report ({@value #MARKDOWN_REPORT}) into a
 * directory, and returns a {@link TckSummary}.
 */
public final class TckRunner {
    /** The Markdown report's file name in the report directory. */
    public static final String MARKDOWN_REPORT = "tck-report.md";

    private TckRunner() {
    }

    /**
     * {@link #run(String, BackendOptions, Path, Consumer)} without backend options.
     *
     * @param backendName the provider's name, or null for the only one on the class path
     * @param reportDir   where the JUnit XML and Markdown reports go (created if needed)
     * @param progress    receives one line per rule as it finishes
     * @return the outcome
     */
    public static TckSummary run(String backendName, Path reportDir, Consumer<String> progress) {
        return run(backendName, BackendOptions.empty(), reportDir, progress);
    }

    /**
     * Runs {@link ServiceLoaderBackendTck} over the backend called {@code backendName} (null: the only one on
     * the class path).
     *
     * @param backendName the provider's name, or null for the only one on the class path
     * @param options     the backend options
     * @param reportDir   where the JUnit XML and Markdown reports go (created if needed)
     * @param progress    receives one line per rule as it finishes ({@code PASSED   K-ALLOC-6  required_kAlloc6_...})
     * @return the outcome
     * @throws IllegalArgumentException when no such backend is on the class path (naming the ones found)
     * @throws UncheckedIOException     when the reports cannot be written
     */
    public static TckSummary run(String backendName, BackendOptions options, Path reportDir, Consumer<String> progress) {
        Objects.requireNonNull(options, "options");
        String name = ServiceLoaderBackendTck.chooseProvider(backendName).name();
        Map<String, String> config = new LinkedHashMap<>();
        config.put(ServiceLoaderBackendTck.BACKEND_PROPERTY, name);
        options.asMap().forEach((k, v) -> {
            if (k.contains(",") || v.contains(",")) {
                throw new IllegalArgumentException("backend option " + k + "=" + v + " contains ',', which "
                        + ServiceLoaderBackendTck.OPTIONS_PROPERTY + " uses to separate options");
            }
        });
        String optionText = options.asMap().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
        config.put(ServiceLoaderBackendTck.OPTIONS_PROPERTY, optionText);
        return runClass(ServiceLoaderBackendTck.class, name, config, reportDir, progress);
    }

    /**
     * Runs a concrete verification class (a backend writer's own subclass of {@link IommufdBackendVerification})
     * with the given JUnit configuration parameters.
     *
     * @param verification  the class to run
     * @param label         the name of what is verified, for the summary and the reports
     * @param configuration JUnit configuration parameters ({@link ServiceLoaderBackendTck#BACKEND_PROPERTY}, ...)
     * @param reportDir     where the JUnit XML and Markdown reports go (created if needed)
     * @param progress      receives one line per rule as it finishes, and one per failure of the run
     * @return the outcome
     * @throws UncheckedIOException when the reports cannot be written
     */
    public static TckSummary runClass(Class<? extends IommufdBackendVerification> verification, String label,
                                      Map<String, String> configuration, Path reportDir, Consumer<String> progress) {
        Objects.requireNonNull(verification, "verification");
        Objects.requireNonNull(progress, "progress");
        try {
            Files.createDirectories(reportDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the TCK report directory " + reportDir, e);
        }
        Map<String, String> parameters = new LinkedHashMap<>(configuration);
        parameters.putIfAbsent(RuleReporting.DIGEST_PROPERTY, "false"); // the summary says it all
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(verification))
                .configurationParameters(parameters)
                .build();
        Collector collector = new Collector(progress);
        StringWriter xmlProblems = new StringWriter();
        LegacyXmlReportGeneratingListener xml = new LegacyXmlReportGeneratingListener(reportDir, new PrintWriter(xmlProblems));
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, collector, xml);
        if (!xmlProblems.toString().isBlank()) {
            progress.accept("JUnit XML report: " + xmlProblems.toString().strip());
        }
        TckSummary summary = new TckSummary(label, collector.results, collector.problems);
        try {
            Files.writeString(reportDir.resolve(MARKDOWN_REPORT), summary.markdown(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + reportDir.resolve(MARKDOWN_REPORT), e);
        }
        return summary;
    }

    /** Turns finished tests into rule results and failed containers into failures of the run. */
    private static final class Collector implements TestExecutionListener {
        private final Consumer<String> progress;
        private final List<TckSummary.RuleResult> results = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();

        Collector(Consumer<String> progress) {
            this.progress = progress;
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            if (id.isTest()) {
                add(id, TckSummary.Result.SKIPPED, reason, List.of());
            }
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            Throwable t = result.getThrowable().orElse(null);
            String reason = t == null ? null : RuleReporting.describe(t);
            TckSummary.Result r = switch (result.getStatus()) {
                case SUCCESSFUL -> TckSummary.Result.PASSED;
                case ABORTED -> TckSummary.Result.SKIPPED;
                case FAILED -> TckSummary.Result.FAILED;
            };
            if (id.isTest()) {
                add(id, r, reason, t instanceof RuleViolation v ? v.followsFrom() : List.of());
            } else if (r == TckSummary.Result.FAILED) {
                problems.add(reason); // the class failed as a whole: a bad backend choice, a skipped required rule
                progress.accept("RUN FAILED  " + reason.strip().lines().findFirst().orElse(""));
            }
        }

        private void add(TestIdentifier id, TckSummary.Result result, String reason, List<String> followsFrom) {
            String method = id.getSource().filter(MethodSource.class::isInstance).map(s -> ((MethodSource) s).getMethodName())
                    .orElse(id.getDisplayName());
            TckSummary.RuleResult r = TckSummary.RuleResult.of(method, result, reason, followsFrom);
            results.add(r);
            String why = reason == null ? "" : " - " + (followsFrom.isEmpty() ? reason.strip().lines().findFirst().orElse("")
                    : "follows from " + String.join(" and ", followsFrom) + ", which failed");
            progress.accept(String.format("%-7s  %-10s  %s%s", r.result(), r.ruleId(), method, why));
        }
    }
}
