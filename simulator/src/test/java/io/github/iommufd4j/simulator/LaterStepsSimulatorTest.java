package io.github.iommufd4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.LostRun;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What the simulator does with the format's additions for the profiles after {@code qemu-10.0}. */
class LaterStepsSimulatorTest {
    private static final long M = 0x1000000;
    private static final long P = 4096;
    private static final long ROM = 0x2000000;
    private static final IommuDef VTD = new IommuDef("vtd0", "intel-vtd", true, true);

    private static DeviceDef behind(String name, String kind) {
        return new DeviceDef(name, "vtd0", false, false, true, true, OnOffAuto.AUTO, OnOffAuto.ON, kind != null, kind);
    }

    private static SimulationReport run(String profile, List<DeviceDef> devices, List<Step> steps) {
        Scenario s = new Scenario(1, "t", profile, null, P, List.of(new MemoryRange(M, 0x400000),
                new MemoryRange(ROM, 0x100000, true)), List.of(VTD), devices, steps);
        return new Simulator().run(s, SimulationOptions.defaults()).report();
    }

    private static List<String> ops(StepReport s) {
        return s.calls().stream().map(CallReport::op).toList();
    }

    private static final List<Step> WRITE_THEN_GUEST_UNMAPS = List.of(new Step.Attach("t"), new Step.ViommuMap("t", M, P),
            new Step.StartDirtyTracking(), new Step.Dma("t", M, P), new Step.ViommuUnmap("t", M, P),
            new Step.StopDirtyTracking());

    @Test
    @DisplayName("Q-EV-5: a page written through a vIOMMU mapping the guest then unmaps: lost under qemu-10.2, reported under qemu-11.0")
    void qEv5_lostBeforeElevenReportedAfter() {
        SimulationReport before = run("qemu-10.2", List.of(behind("t", "intel-iommu")), WRITE_THEN_GUEST_UNMAPS);
        assertThat(ops(before.steps().get(4))).containsExactly("IOAS_UNMAP");
        assertThat(before.dirty().lost()).containsExactly(LostRun.of("t", M, 1));
        SimulationReport after = run("qemu-11.0", List.of(behind("t", "intel-iommu")), WRITE_THEN_GUEST_UNMAPS);
        assertThat(ops(after.steps().get(4))).containsExactly("GET_DIRTY_BITMAP", "IOAS_UNMAP");
        assertThat(after.steps().get(4).calls().get(0).args()).containsEntry("noClear", true);
        assertThat(after.dirty().written()).isEqualTo(1);
        assertThat(after.dirty().lost()).isEmpty();
        assertThat(after.leakedObjects()).isEmpty();
    }

    @Test
    @DisplayName("a translating vIOMMU's container maps only the guest's vIOMMU mappings, and its device writes only there")
    void translatingContainerMapsGuestMappings() {
        SimulationReport r = run("qemu-11.0", List.of(behind("t", "intel-iommu")), List.of(new Step.Attach("t"),
                new Step.ViommuMap("t", M, 2 * P), new Step.StartDirtyTracking(), new Step.Dma("t", M + 2 * P, P)));
        assertThat(ops(r.steps().get(0))).containsExactly("BIND", "IOAS_ALLOC", "GET_HW_INFO", "HWPT_ALLOC", "ATTACH",
                "GET_HW_INFO");
        assertThat(ops(r.steps().get(1))).containsExactly("IOAS_MAP");
        assertThat(r.steps().get(3).ok()).isFalse();
        assertThat(r.steps().get(3).message()).contains("outside its vIOMMU mappings").contains("the IOMMU faults the DMA");
        assertThat(r.steps().get(3).calls()).isEmpty();
        assertThat(r.dirty().written()).isZero();
    }

    @Test
    @DisplayName("Q-EV-12: a device cannot write read-only memory; the step fails before any call")
    void readOnlyMemoryIsNotWritten() {
        SimulationReport r = run("qemu-11.0", List.of(behind("d", null)), List.of(new Step.Attach("d"),
                new Step.StartDirtyTracking(), new Step.Dma("d", ROM, P), new Step.Sync(null, null)));
        assertThat(ops(r.steps().get(0))).filteredOn("IOAS_MAP"::equals).hasSize(2);
        assertThat(r.steps().get(2).ok()).isFalse();
        assertThat(r.steps().get(2).message()).isEqualTo("device d cannot write read-only guest memory"
                + " [0x2000000, +0x100000): the IOMMU faults the DMA");
        assertThat(ops(r.steps().get(3))).containsExactly("GET_DIRTY_BITMAP"); // the read-only range is not synced
    }

    @Test
    @DisplayName("a vIOMMU kind the profile's QEMU lacks fails the attach with QEMU's property error, no call")
    void missingKindFailsTheAttach() {
        SimulationReport r = run("qemu-10.2", List.of(new DeviceDef("a", "vtd0", false, false, true, true, OnOffAuto.AUTO,
                OnOffAuto.ON, true, "arm-smmuv3-accel")), List.of(new Step.Attach("a")));
        StepReport s = r.steps().get(0);
        assertThat(s.ok()).isFalse();
        assertThat(s.errno()).isNull();
        assertThat(s.message()).startsWith("Property 'arm-smmuv3.accel' not found: profile qemu-10.2 has no vIOMMU");
        assertThat(s.calls()).isEmpty();
        assertThat(r.leakedObjects()).isEmpty();
    }
}
