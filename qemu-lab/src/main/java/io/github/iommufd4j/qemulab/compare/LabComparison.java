package io.github.iommufd4j.qemulab.compare;

import io.github.iommufd4j.qemulab.QemuInstallation;
import io.github.iommufd4j.simulator.SimulationOptions;
import io.github.iommufd4j.simulator.Simulator;
import io.github.iommufd4j.simulator.io.ReportJson;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One scenario, core against the real QEMU: core's {@link Simulator} with profile {@code qemu-10.0} on the mock, with
 * QEMU's guest memory in place of the scenario's (the five sections of {@code -m 128M}, read-only ones mapped as plain
 * maps), and the same scenario on QEMU 10.0 over the lab ({@link QemuScenarioRun}); then {@link QemuReportDiff}.
 */
public final class LabComparison {
    private final QemuInstallation installation;
    private final Path keep;
    private final String profile;

    /**
     * Core under {@code qemu-10.0}, the profile of the QEMU the lab runs.
     *
     * @param keep a folder for both reports of every scenario ({@code <name>.core.json}, {@code <name>.qemu.json}), or
     *             null
     */
    public LabComparison(QemuInstallation installation, Path keep) {
        this(installation, keep, QemuScenarioRun.PROFILE);
    }

    /** Core under {@code profile}: another profile than {@code qemu-10.0} shows where it departs from QEMU 10.0. */
    public LabComparison(QemuInstallation installation, Path keep, String profile) {
        this.installation = installation;
        this.keep = keep;
        this.profile = profile;
    }

    /** How a scenario came out. */
    public enum Verdict { AGREES, DIFFERS, OUT_OF_REACH }

    /**
     * @param name           the scenario's name (or file)
     * @param verdict        the verdict
     * @param reason         why the lab cannot run it ({@link Verdict#OUT_OF_REACH}), else null
     * @param differences    one line per differing path ({@link Verdict#DIFFERS}), else empty
     * @param millis         the time both runs took
     * @param collapsedSyncs empty syncs of QEMU's beyond the format's two that were left out
     */
    public record Outcome(String name, Verdict verdict, String reason, List<String> differences, long millis,
                          int collapsedSyncs) {
        /** One line: {@code name  agrees}, {@code differs (n)}, {@code out of reach: reason}. */
        public String line() {
            String what = switch (verdict) {
                case AGREES -> "agrees";
                case DIFFERS -> "differs (" + differences.size() + ")";
                case OUT_OF_REACH -> "out of reach: " + reason;
            };
            return String.format("%-40s %s", name, what);
        }
    }

    /** The scenario core runs: QEMU's guest memory in place of the scenario's, and {@code profile}. */
    public static Scenario forCore(Scenario s, String profile) {
        return new Scenario(s.version(), s.name(), profile, null, s.pageSize(),
                ScenarioGenerator.QEMU_PC_128M, s.iommus(), s.devices(), s.steps());
    }

    /** Compares {@code s} ({@code name} is what the output calls it). */
    public Outcome compare(String name, Scenario s) {
        long t0 = System.nanoTime();
        Optional<String> why = LabReach.outOfReach(s);
        if (why.isPresent()) {
            return new Outcome(name, Verdict.OUT_OF_REACH, why.get(), List.of(), 0, 0);
        }
        SimulationReport core = new Simulator().run(forCore(s, profile), new SimulationOptions("mock", profile)).report();
        QemuScenarioRun.Result qemu = QemuScenarioRun.run(installation, s);
        List<String> diff = QemuReportDiff.differences(core, qemu.report());
        if (keep != null) {
            write(name, core, qemu);
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        return new Outcome(name, diff.isEmpty() ? Verdict.AGREES : Verdict.DIFFERS, null, diff, millis,
                qemu.collapsedSyncs());
    }

    private void write(String name, SimulationReport core, QemuScenarioRun.Result qemu) {
        try {
            Files.createDirectories(keep);
            String file = name.replace('/', '_');
            Files.writeString(keep.resolve(file + ".core.json"), ReportJson.write(core));
            Files.writeString(keep.resolve(file + ".qemu.json"), ReportJson.write(qemu.report()));
            Files.writeString(keep.resolve(file + ".qemu.errors.txt"), String.join("\n", qemu.errors()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the reports of " + name + " in " + keep, e);
        }
    }

    /** The summary: one line per scenario, then the differences of each that differs. */
    public static String summary(String title, List<Outcome> outcomes) {
        StringBuilder sb = new StringBuilder(title).append('\n');
        for (Outcome o : outcomes) {
            sb.append("  ").append(o.line()).append('\n');
        }
        long agree = outcomes.stream().filter(o -> o.verdict() == Verdict.AGREES).count();
        long differ = outcomes.stream().filter(o -> o.verdict() == Verdict.DIFFERS).count();
        long out = outcomes.size() - agree - differ;
        int collapsed = outcomes.stream().mapToInt(Outcome::collapsedSyncs).sum();
        long millis = outcomes.stream().mapToLong(Outcome::millis).sum();
        sb.append(String.format("  %d compared: %d agree, %d differ; %d out of reach; %d empty extra syncs collapsed;"
                + " %.1f s%n", agree + differ, agree, differ, out, collapsed, millis / 1000.0));
        for (Outcome o : outcomes) {
            if (o.verdict() == Verdict.DIFFERS) {
                sb.append("\n").append(o.name()).append(": core (qemu-10.0) vs QEMU, ids renamed; path: core=... qemu=...\n");
                o.differences().forEach(d -> sb.append("  ").append(d).append('\n'));
            }
        }
        return sb.toString();
    }
}
