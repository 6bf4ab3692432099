package io.github.iommufd4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.LostRun;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.DmaWrite;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The {@code migrate} step ({@code docs/reference/scenario-format.md}): QEMU 10.0's migration of the paused VM as the qemu-lab measured
 * it on the real binary: blockers first, then start, the writes, the setup and the final sync, and the stop.
 */
class MigrateStepTest {
    private static final long M = 0x1000000;
    private static final long M2 = 0x2000000;
    private static final long P = 4096;
    private static final IommuDef DIRTY = new IommuDef("dirty0", "default", true, true);
    private static final IommuDef PLAIN = new IommuDef("plain0", "default", false, true);

    private static DeviceDef dev(String name, String iommu, boolean vf, OnOffAuto e) {
        return new DeviceDef(name, iommu, false, vf, true, true, e, OnOffAuto.ON, false);
    }

    private static SimulationReport run(String profile, List<DeviceDef> devices, List<Step> steps) {
        Scenario s = new Scenario(1, "t", profile, null, P,
                List.of(new MemoryRange(M2, 0x100000), new MemoryRange(M, 0x400000)), List.of(DIRTY, PLAIN), devices, steps);
        return new Simulator().run(s, SimulationOptions.defaults()).report();
    }

    private static Step.Migrate migrate(DmaWrite... writes) {
        return new Step.Migrate(List.of(writes));
    }

    private static List<String> calls(StepReport s) {
        return s.calls().stream().map(c -> c.op() + (c.args().containsKey("iova") ? " " + c.args().get("iova") : "")
                + (c.args().containsKey("enable") ? " " + c.args().get("enable") : "") + "=" + c.result()).toList();
    }

    @Test
    @DisplayName("migrate: start, the writes, the setup sync and the final sync over every section ascending, then the stop"
            + " (Q-DT-9: it waits for the VM to run, after the final sync); the writes are reported by the setup sync")
    void migrationWithIommuTracking() {
        SimulationReport r = run("qemu-10.0", List.of(dev("a", "dirty0", false, OnOffAuto.AUTO)),
                List.of(new Step.Attach("a"), migrate(new DmaWrite("a", M + P, 2 * P), new DmaWrite("a", M2, P))));
        StepReport m = r.steps().get(1);
        assertThat(m.op()).isEqualTo("migrate");
        assertThat(m.target()).isNull();
        assertThat(m.ok()).isTrue();
        assertThat(calls(m)).containsExactly("SET_DIRTY_TRACKING true=ok",
                "GET_DIRTY_BITMAP 0x1000000=ok", "GET_DIRTY_BITMAP 0x2000000=ok",
                "GET_DIRTY_BITMAP 0x1000000=ok", "GET_DIRTY_BITMAP 0x2000000=ok",
                "SET_DIRTY_TRACKING false=ok");
        assertThat(r.dirty().written()).isEqualTo(3);
        assertThat(r.dirty().reported()).isEqualTo(3);
        assertThat(r.dirty().lost()).isEmpty();
        assertThat(r.containers().get(0).dirtyTrackingStarted()).isFalse();
    }

    @Test
    @DisplayName("migrate: a blocker refuses it with no call, errno null and the newest blocker's text (as QEMU's migrate)")
    void blockedMigration() {
        SimulationReport r = run("qemu-10.0", List.of(dev("a", "dirty0", false, OnOffAuto.OFF),
                        dev("b", "plain0", false, OnOffAuto.AUTO)),
                List.of(new Step.Attach("a"), new Step.Attach("b"), migrate(new DmaWrite("a", M, P))));
        StepReport m = r.steps().get(2);
        assertThat(m.ok()).isFalse();
        assertThat(m.errno()).isNull();
        assertThat(m.message()).isEqualTo("b: VFIO device doesn't support device and IOMMU dirty tracking");
        assertThat(m.calls()).isEmpty();
        assertThat(r.dirty().written()).isZero();
    }

    @Test
    @DisplayName("migrate: a failed start ends it with the start's text and errno; the HWPTs are rolled back, nothing to stop")
    void failedStart() {
        SimulationReport r = run("qemu-10.0", List.of(dev("a", "dirty0", false, OnOffAuto.AUTO)),
                List.of(new Step.Attach("a"), new Step.Fault(BackendOp.SET_DIRTY_TRACKING, Errno.EIO, 1),
                        migrate(new DmaWrite("a", M, P))));
        StepReport m = r.steps().get(2);
        assertThat(m.ok()).isFalse();
        assertThat(m.errno()).isEqualTo("EIO");
        assertThat(m.message()).startsWith("vfio: Could not start dirty page tracking - IOMMU_HWPT_SET_DIRTY_TRACKING(hwpt_id ");
        assertThat(calls(m)).containsExactly("SET_DIRTY_TRACKING true=EIO", "SET_DIRTY_TRACKING false=ok");
        assertThat(r.dirty().written()).isZero();
    }

    @Test
    @DisplayName("migrate: a failed query of the setup sync queries every section still, then ends the migration"
            + " (ram_save_setup failed) and the stop follows; of the final sync likewise (Channel error); a failed"
            + " migration loses no page (nothing reached a destination)")
    void failedSyncs() {
        SimulationReport setup = run("qemu-10.0", List.of(dev("a", "dirty0", false, OnOffAuto.AUTO)),
                List.of(new Step.Attach("a"), new Step.Fault(BackendOp.GET_DIRTY_BITMAP, Errno.EIO, 1),
                        migrate(new DmaWrite("a", M, P))));
        StepReport m = setup.steps().get(2);
        assertThat(m.ok()).isFalse();
        assertThat(m.errno()).isEqualTo("EIO");
        assertThat(m.message()).isEqualTo("ram_save_setup failed");
        assertThat(calls(m)).containsExactly("SET_DIRTY_TRACKING true=ok", "GET_DIRTY_BITMAP 0x1000000=EIO",
                "GET_DIRTY_BITMAP 0x2000000=ok", "SET_DIRTY_TRACKING false=ok");
        assertThat(setup.dirty().written()).isEqualTo(1);
        assertThat(setup.dirty().lost()).isEmpty();

        SimulationReport last = run("qemu-10.0", List.of(dev("a", "dirty0", false, OnOffAuto.AUTO)),
                List.of(new Step.Attach("a"), new Step.Fault(BackendOp.GET_DIRTY_BITMAP, Errno.ENOMEM, 3), migrate()));
        assertThat(last.steps().get(2).message()).isEqualTo("Channel error");
        assertThat(last.steps().get(2).errno()).isEqualTo("ENOMEM");
        assertThat(calls(last.steps().get(2))).hasSize(6).endsWith("SET_DIRTY_TRACKING false=ok");
    }

    @Test
    @DisplayName("migrate: a failed stop after the migration is only reported: the step succeeds, and under qemu-10.0"
            + " (Q-EV-1) the next migration does not start the still-enabled HWPT again")
    void failedStop() {
        SimulationReport r = run("qemu-10.0", List.of(dev("a", "dirty0", false, OnOffAuto.AUTO)),
                List.of(new Step.Attach("a"), new Step.Fault(BackendOp.SET_DIRTY_TRACKING, Errno.EIO, 2), migrate(),
                        migrate()));
        assertThat(r.steps().get(2).ok()).isTrue();
        assertThat(calls(r.steps().get(2))).endsWith("SET_DIRTY_TRACKING false=EIO", "SET_DIRTY_TRACKING true=ok");
        assertThat(calls(r.steps().get(3))).first().isEqualTo("GET_DIRTY_BITMAP 0x1000000=ok");
        assertThat(calls(r.steps().get(3))).last().isEqualTo("SET_DIRTY_TRACKING false=ok");
    }

    @Test
    @DisplayName("Q-EV-7 in a migration: a device no tracker sees (enable-migration=on) loses its writes under qemu-10.0;"
            + " qemu-9.1's perpetual dirty reports them")
    void noTrackerLosesWritesUnderTen() {
        List<DeviceDef> devices = List.of(dev("n", "plain0", false, OnOffAuto.ON));
        List<Step> steps = List.of(new Step.Attach("n"), migrate(new DmaWrite("n", M, 2 * P)));
        SimulationReport ten = run("qemu-10.0", devices, steps);
        assertThat(ten.steps().get(1).ok()).isTrue();
        assertThat(ten.steps().get(1).calls()).isEmpty();
        assertThat(ten.dirty().lost()).containsExactly(LostRun.of("n", M, 2));
        SimulationReport nine = run("qemu-9.1", devices, steps);
        assertThat(nine.dirty().reported()).isEqualTo(2);
        assertThat(nine.dirty().lost()).isEmpty();
    }

    @Test
    @DisplayName("migrate: refused while tracking runs (There's a migration process in progress), and for a write by a"
            + " device that is not attached; no call either way")
    void refusals() {
        SimulationReport r = run("qemu-10.0", List.of(dev("a", "dirty0", false, OnOffAuto.AUTO),
                        dev("b", "dirty0", false, OnOffAuto.AUTO)),
                List.of(new Step.Attach("a"), migrate(new DmaWrite("b", M, P)), new Step.StartDirtyTracking(), migrate()));
        assertThat(r.steps().get(1).message()).isEqualTo("device b is not attached");
        assertThat(r.steps().get(1).calls()).isEmpty();
        assertThat(r.steps().get(3).message()).isEqualTo("There's a migration process in progress");
        assertThat(r.steps().get(3).errno()).isNull();
        assertThat(r.steps().get(3).calls()).isEmpty();
    }

    @Test
    @DisplayName("migrate with device DMA logging: one DMA_LOGGING_START over QEMU's ranges (Q-DT-8), reports per section")
    void migrationWithDmaLogging() {
        SimulationReport r = run("qemu-10.0", List.of(dev("v", "plain0", true, OnOffAuto.AUTO)),
                List.of(new Step.Attach("v"), migrate(new DmaWrite("v", M2, P))));
        StepReport m = r.steps().get(1);
        assertThat(m.calls()).extracting(CallReport::op).containsExactly("DMA_LOGGING_START", "DMA_LOGGING_REPORT",
                "DMA_LOGGING_REPORT", "DMA_LOGGING_REPORT", "DMA_LOGGING_REPORT", "DMA_LOGGING_STOP");
        assertThat(m.calls().get(0).args()).containsEntry("ranges", 1L);
        assertThat(r.dirty().reported()).isEqualTo(1);
    }

    @Test
    @DisplayName("attach of an attached device and detach of a detached one fail with QEMU 10.0.2's device_add and"
            + " device_del texts, no call, errno null")
    void plugWhatIsPlugged() {
        SimulationReport r = run("qemu-10.0", List.of(dev("a", "dirty0", false, OnOffAuto.AUTO)),
                List.of(new Step.Attach("a"), new Step.Attach("a"), new Step.Detach("a"), new Step.Detach("a")));
        assertThat(r.steps().get(1).message()).isEqualTo("Duplicate device ID 'a'");
        assertThat(r.steps().get(1).calls()).isEmpty();
        assertThat(r.steps().get(1).errno()).isNull();
        assertThat(r.steps().get(2).ok()).isTrue();
        assertThat(r.steps().get(3).message()).isEqualTo("Device 'a' not found");
        assertThat(r.steps().get(3).calls()).isEmpty();
    }
}
