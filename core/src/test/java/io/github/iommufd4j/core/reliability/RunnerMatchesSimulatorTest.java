package io.github.iommufd4j.core.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.backend.mock.MockBackend;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.core.report.SimulationReport;
import io.github.iommufd4j.core.report.StepReport;
import io.github.iommufd4j.core.scenario.Scenario;
import io.github.iommufd4j.core.sim.InvariantRunner;
import io.github.iommufd4j.core.sim.ScenarioGenerator;
import io.github.iommufd4j.core.sim.SimulationOptions;
import io.github.iommufd4j.core.sim.Simulator;
import org.junit.jupiter.api.Test;

/**
 * {@link InvariantRunner} mirrors what {@link Simulator} does for each step; if the two drift apart the invariant
 * tests would check something else than what users run. Over generated scenarios with faults: the same number
 * of failed steps, and leaked objects in the report exactly when the runner saw objects left at the end.
 */
class RunnerMatchesSimulatorTest {
    static {
        QuietLogs.on();
    }

    @Test
    void runnerAndSimulatorAgreeOnOutcomesAndLeaks() {
        Simulator simulator = new Simulator(name -> new MockBackend());
        long base = Failures.baseSeed(0x5a3e_0000L);
        int withLeaks = 0;
        for (Profile profile : Profile.known()) {
            for (int i = 0; i < 300; i++) {
                long seed = base + i;
                Scenario s = ScenarioGenerator.generate(seed, ScenarioGenerator.Options.defaults());
                SimulationReport report = simulator.run(s, new SimulationOptions(null, profile.name())).report();
                InvariantRunner.Result r;
                try (MockBackend mock = new MockBackend()) {
                    r = InvariantRunner.run(s, profile, mock, null);
                }
                long failed = report.steps().stream().filter(st -> !st.ok()).count();
                assertThat(r.failedSteps()).as("failed steps, seed 0x%x on %s", seed, profile.name()).isEqualTo(failed);
                boolean runnerLeft = r.violations().stream().anyMatch(v -> v.startsWith("after the final detach")
                        && (v.contains("INV-EMPTY") || v.contains("INV-LEAK")));
                assertThat(!report.leakedObjects().isEmpty()).as("leaks, seed 0x%x on %s: %s", seed, profile.name(),
                        report.leakedObjects()).isEqualTo(runnerLeft);
                withLeaks += runnerLeft ? 1 : 0;
                assertThat(report.steps()).extracting(StepReport::index).hasSize(s.steps().size());
            }
        }
        // Leaks happen (after failed DETACH/DESTROY on the qemu profiles), so the second check is not vacuous.
        assertThat(withLeaks).isPositive();
    }
}
