package io.github.iommufd4j.cli;

import io.github.iommufd4j.simulator.io.ReportJson;

import io.github.iommufd4j.simulator.testing.Fixtures;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.simulator.report.DirtyReport;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.scenario.Scenario;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {
    private static final String LOSSY = "src/test/resources/valid/lossy.yml";

    @ParameterizedTest
    @ValueSource(strings = {"", "simulate", "backends", "probe", "tck", "new-backend"})
    void everyCommandHasHelpAndVersion(String command) {
        String[] help = command.isEmpty() ? new String[] {"--help"} : new String[] {command, "--help"};
        Cli.Result h = Cli.run(help);
        assertThat(h.exit()).isZero();
        assertThat(h.out()).startsWith("Usage: iommufd4j" + (command.isEmpty() ? "" : " " + command));
        String[] version = command.isEmpty() ? new String[] {"--version"} : new String[] {command, "--version"};
        Cli.Result v = Cli.run(version);
        assertThat(v.exit()).isZero();
        assertThat(v.out()).startsWith("iommufd4j 0.1.0-SNAPSHOT" + System.lineSeparator());
    }

    @Test
    void noCommandIsAUsageError() {
        Cli.Result r = Cli.run();
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("missing command: give one of simulate, compare, backends, probe");
    }

    @Test
    void backendsListsTheMockAsAvailable() {
        Cli.Result r = Cli.run("backends");
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines()).anyMatch(l -> l.equals("mock\tavailable"));
    }

    @Test
    void probeOfTheMockSaysItHasNoDevicesOfItsOwn() {
        Cli.Result r = Cli.run("probe", "--backend", "mock");
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines()).containsExactly("backend mock: 0 devices",
                "  no devices: this backend makes its devices from a scenario (iommufd4j simulate FILE)");
    }

    @Test
    void probeOfAnUnknownBackendIsInvalidInput() {
        Cli.Result r = Cli.run("probe", "--backend", "nosuch");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("probe: no backend named 'nosuch'; found: ");
    }

    @Test
    void simulateRunsAScenarioOnCoreAndPrintsItsJsonReport() {
        Cli.Result r = Cli.run("simulate", "--format", "json", LOSSY);
        assertThat(r.exit()).as(r.err()).isZero();
        SimulationReport report = ReportJson.read(r.out());
        assertThat(report.scenario()).isEqualTo("lossy");
        assertThat(report.backend()).isEqualTo("mock");
        assertThat(report.profile()).isEqualTo("qemu-9.1");
        assertThat(report.steps()).extracting(s -> s.op() + " " + s.target())
                .containsExactly("attach vf0", "attach vf1", "startDirtyTracking null", "dma vf1", "sync null");
        assertThat(report.devices()).extracting(d -> d.name()).containsExactly("vf0", "vf1");
    }

    @Test
    void simulateWithProfileOverridesTheScenarios() {
        Cli.Result r = Cli.run("simulate", "--format", "json", "--profile", "qemu-10.0", LOSSY);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(ReportJson.read(r.out()).profile()).isEqualTo("qemu-10.0");
    }

    @Test
    void simulateTextAndDiagramsComeFromTheSameRun() {
        Cli.Result text = Cli.run("simulate", "--format", "text", LOSSY);
        assertThat(text.exit()).isZero();
        assertThat(text.out()).startsWith("Scenario lossy (profile qemu-9.1, backend mock)").contains("\nTopology\n");
        Cli.Result mermaid = Cli.run("simulate", "--diagram", "mermaid", LOSSY);
        assertThat(mermaid.out()).startsWith("graph TD\n").doesNotContain("formatVersion");
        Cli.Result dot = Cli.run("simulate", "--diagram", "dot", LOSSY);
        assertThat(dot.out()).startsWith("digraph topology {\n").endsWith("}\n");
    }

    @Test
    void unusableArgumentsExitTwo() {
        assertThat(Cli.run("simulate", "--format", "xml", LOSSY).err())
                .isEqualTo("simulate: --format 'xml' is unknown; expected text or json" + System.lineSeparator());
        assertThat(Cli.run("simulate", "--diagram", "svg", LOSSY).exit()).isEqualTo(2);
        Cli.Result profile = Cli.run("simulate", "--profile", "qemu-7", LOSSY);
        assertThat(profile.exit()).isEqualTo(2);
        assertThat(profile.err()).isEqualTo("simulate: --profile 'qemu-7' is unknown; expected one of "
                + String.join(", ", Scenario.knownProfiles()) + System.lineSeparator());
        Cli.Result backend = Cli.run("simulate", "--backend", "nosuch", LOSSY);
        assertThat(backend.exit()).isEqualTo(2);
        assertThat(backend.err()).startsWith("simulate: --backend 'nosuch' is unknown; expected one of ");
        assertThat(Cli.run("simulate").exit()).as("no FILE").isEqualTo(2);
        assertThat(Cli.run("simulate", "--no-such-option", LOSSY).exit()).isEqualTo(2);
    }

    private static SimulationReport withDirtyAndLeaks(boolean lost, boolean leaked) {
        SimulationReport f = Fixtures.report();
        DirtyReport dirty = lost ? f.dirty() : new DirtyReport(3, 3, List.of());
        return new SimulationReport(1, f.scenario(), f.profile(), f.backend(), f.steps(), f.containers(), f.devices(),
                f.warnings(), dirty, leaked ? f.leakedObjects() : List.of());
    }

    @Test
    void failOnLostAndFailOnLeakChooseTheExitStatus() {
        ScenarioRunner both = (s, o) -> withDirtyAndLeaks(true, true);
        ScenarioRunner leakOnly = (s, o) -> withDirtyAndLeaks(false, true);
        ScenarioRunner clean = (s, o) -> withDirtyAndLeaks(false, false);
        assertThat(Cli.runWith(both, "simulate", "--format", "json", LOSSY).exit()).as("flags not given").isZero();
        assertThat(Cli.runWith(both, "simulate", "--fail-on-lost", "--fail-on-leak", LOSSY).exit()).isEqualTo(3);
        assertThat(Cli.runWith(both, "simulate", "--fail-on-leak", LOSSY).exit()).isEqualTo(4);
        assertThat(Cli.runWith(leakOnly, "simulate", "--fail-on-lost", LOSSY).exit()).isZero();
        assertThat(Cli.runWith(leakOnly, "simulate", "--fail-on-lost", "--fail-on-leak", LOSSY).exit()).isEqualTo(4);
        assertThat(Cli.runWith(clean, "simulate", "--fail-on-lost", "--fail-on-leak", LOSSY).exit()).isZero();
    }

    @Test
    void anInternalErrorIsOneLineWithoutVerboseAndATraceWithIt() {
        ScenarioRunner broken = (s, o) -> {
            throw new IllegalStateException("the simulator tripped\non two lines");
        };
        Cli.Result quiet = Cli.runWith(broken, "simulate", LOSSY);
        assertThat(quiet.exit()).isEqualTo(1);
        assertThat(quiet.err().lines()).containsExactly(
                "iommufd4j simulate: internal error: java.lang.IllegalStateException: the simulator tripped on two lines",
                "(run again with --verbose for the stack trace)");
        Cli.Result verbose = Cli.runWith(broken, "simulate", "--verbose", LOSSY);
        assertThat(verbose.exit()).isEqualTo(1);
        assertThat(verbose.err()).contains("\tat io.github.iommufd4j.cli.");
    }

    @Test
    void severalFilesGiveOneReportEach() {
        Cli.Result r = Cli.run("simulate", "--format", "text", LOSSY, "../examples/order-plain-first.yaml");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().filter(l -> l.startsWith("Scenario "))).containsExactly(
                "Scenario lossy (profile qemu-9.1, backend mock)", "Scenario order-plain-first (profile qemu-9.1, backend mock)");
    }

    @Test
    void backendOptionsReachTheBackendAndBadOnesAreExit2() {
        Cli.Result malformed = Cli.run("simulate", "--backend-option", "novalue", LOSSY);
        assertThat(malformed.exit()).isEqualTo(2);
        assertThat(malformed.err()).contains("simulate: backend option 'novalue' is not of the form key=value");
        Cli.Result rejected = Cli.run("simulate", "--backend", "mock", "--backend-option", "colour=blue", LOSSY);
        assertThat(rejected.exit()).isEqualTo(2);
        assertThat(rejected.err()).contains("backend 'mock' rejects its options").contains("colour").doesNotContain("Exception");
    }
}
