package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import io.github.iommufd4j.simulator.SimulationOptions;
import io.github.iommufd4j.simulator.Simulator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 11's claim at scale: 10,000 seeded random scenarios (faults included) lose no page under {@code safe},
 * while the same scenarios under {@code qemu-9.1} lose some. The seed base can be moved with
 * {@code -Diommufd4j.claim.seed=N} to explore other scenarios; a failure names the seed to rerun.
 *
 * <p>The settled rules of {@code docs/fidelity.md} moved pages under {@code qemu-9.1} (same seeds: 10,294 pages
 * lost in 869 scenarios before, 9,863 in 838 after): a repeated start no longer clears the HWPTs' bits (Q-DT-7),
 * and a device can no longer leave during a migration and take its HWPT's unread bits with it (Q-HP-1), so both
 * stopped losing pages; detaches and attaches between start and stop now fail as steps, so more devices stay
 * attached through the session. Under {@code safe} nothing was lost before or after; its flush on a detach during
 * a session became unreachable and went.
 */
class SafeClaimTest {
    private static final int SCENARIOS = Integer.getInteger("iommufd4j.claim.count", 10_000);
    private static final long SEED_BASE = Long.getLong("iommufd4j.claim.seed", 0x5afe0000L);

    @Test
    @DisplayName("safe loses no page over 10,000 generated scenarios; qemu-9.1 loses pages in some of the same")
    void safeLosesNothingQemuDoes() {
        Simulator simulator = new Simulator();
        List<String> safeLosses = new ArrayList<>();
        int qemuScenariosWithLoss = 0;
        long qemuLostPages = 0;
        long writtenPages = 0;
        for (int i = 0; i < SCENARIOS; i++) {
            long seed = SEED_BASE + i;
            Scenario s = ScenarioGenerator.generate(seed, ScenarioGenerator.Options.defaults());
            SimulationReport safe = simulator.run(s, new SimulationOptions(null, "safe")).report();
            writtenPages += safe.dirty().written();
            if (!safe.dirty().lost().isEmpty() && safeLosses.size() < 5) {
                safeLosses.add("seed 0x" + Long.toHexString(seed) + ": " + safe.dirty().lost());
            }
            SimulationReport qemu = simulator.run(s, new SimulationOptions(null, "qemu-9.1")).report();
            if (!qemu.dirty().lost().isEmpty()) {
                qemuScenariosWithLoss++;
                qemuLostPages += qemu.dirty().lost().stream().mapToLong(l -> l.pages()).sum();
            }
        }
        System.out.printf("safe claim: %d scenarios, %d pages written under safe, 0 expected lost; "
                + "qemu-9.1 lost %d pages in %d scenarios%n", SCENARIOS, writtenPages, qemuLostPages, qemuScenariosWithLoss);
        assertThat(safeLosses).as("scenarios that lose pages under safe (rerun with the seed)").isEmpty();
        assertThat(writtenPages).as("the generator writes pages while tracking").isPositive();
        assertThat(qemuScenariosWithLoss).as("qemu-9.1 loses pages somewhere in the same scenarios").isPositive();
    }
}
