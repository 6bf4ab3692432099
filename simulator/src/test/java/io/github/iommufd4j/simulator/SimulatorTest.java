package io.github.iommufd4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.LostRun;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SimulatorTest {
    private static final long M = 0x1000000;
    private static final long P = 4096;
    private static final IommuDef DIRTY = new IommuDef("dirty0", "default", true, true);
    private static final IommuDef PLAIN = new IommuDef("plain0", "default", false, true);

    private static DeviceDef dev(String name, String iommu, boolean vf) {
        return new DeviceDef(name, iommu, false, vf, true, true, OnOffAuto.AUTO, OnOffAuto.ON, false);
    }

    private static SimulationReport run(List<DeviceDef> devices, List<Step> steps) {
        Scenario s = new Scenario(1, "t", null, null, P, List.of(new MemoryRange(M, 0x400000)), List.of(DIRTY, PLAIN),
                devices, steps);
        return new Simulator().run(s, SimulationOptions.defaults()).report();
    }

    @Test
    @DisplayName("Q-DT-5 sticky flag: B's writes are never reported after A left (the oracle lists them)")
    void qDt5_stickyFlagLosesPages() {
        SimulationReport r = run(List.of(dev("a", "dirty0", false), dev("b", "plain0", false)), List.of(
                new Step.Attach("a"), new Step.Attach("b"), new Step.Detach("a"), new Step.StartDirtyTracking(),
                new Step.Dma("b", M, 2 * P), new Step.Sync(null, null)));
        assertThat(r.warnings()).containsExactly("IOMMU instance for device b doesn't support dirty tracking");
        assertThat(r.containers()).singleElement().satisfies(c -> {
            assertThat(c.dirtyPagesSupported()).isTrue();
            assertThat(c.hwpts()).singleElement().satisfies(h -> assertThat(h.flags()).isEmpty());
        });
        assertThat(r.steps().get(3).calls()).isEmpty(); // start did nothing
        assertThat(r.dirty().written()).isEqualTo(2);
        assertThat(r.dirty().reported()).isZero();
        assertThat(r.dirty().lost()).containsExactly(LostRun.of("b", M, 2));
        assertThat(r.leakedObjects()).isEmpty();
    }

    @Test
    @DisplayName("Q-DT-5 mixed container: A on IOMMU tracking, B on VF tracking; B's writes are lost")
    void qDt5_mixedContainerLosesPages() {
        SimulationReport r = run(List.of(dev("a", "dirty0", false), dev("b", "plain0", true)), List.of(
                new Step.Attach("a"), new Step.Attach("b"), new Step.StartDirtyTracking(),
                new Step.Dma("a", M, P), new Step.Dma("b", M + 8 * P, 3 * P), new Step.Sync(null, null)));
        assertThat(r.devices()).allSatisfy(d -> assertThat(d.migration().allowed()).isTrue());
        assertThat(r.steps().get(2).calls()).extracting(CallReport::op).containsExactly("SET_DIRTY_TRACKING");
        assertThat(r.dirty().written()).isEqualTo(4);
        assertThat(r.dirty().reported()).isEqualTo(1);
        assertThat(r.dirty().lost()).containsExactly(LostRun.of("b", M + 8 * P, 3));
    }

    @Test
    @DisplayName("A homogeneous dirty-capable setup loses no page; the final implicit sync counts")
    void homogeneousLosesNothing() {
        SimulationReport r = run(List.of(dev("a", "dirty0", false), dev("c", "dirty0", false)), List.of(
                new Step.Attach("a"), new Step.Attach("c"), new Step.StartDirtyTracking(),
                new Step.Dma("a", M, 4 * P), new Step.Sync(null, null), new Step.Dma("c", M + 16 * P, P)));
        assertThat(r.dirty().written()).isEqualTo(5);
        assertThat(r.dirty().reported()).isEqualTo(5);
        assertThat(r.dirty().lost()).isEmpty();
        assertThat(r.warnings()).isEmpty();
        assertThat(r.containers().get(0).dirtyTrackingStarted()).isTrue();
    }

    @Test
    @DisplayName("A device without any tracker is covered by perpetual dirty: nothing lost")
    void perpetualDirtyCountsAsReported() {
        SimulationReport r = run(List.of(dev("b", "plain0", false)), List.of(new Step.Attach("b"),
                new Step.StartDirtyTracking(), new Step.Dma("b", M, 3 * P), new Step.Sync(M, 16 * P)));
        assertThat(r.dirty().reported()).isEqualTo(3);
        assertThat(r.dirty().lost()).isEmpty();
    }

    @Test
    @DisplayName("Steps report calls with flags on HWPT_ALLOC only, failures with errno and QEMU's message")
    void stepReports() {
        SimulationReport r = run(List.of(dev("a", "dirty0", false)), List.of(
                new Step.Fault(BackendOp.HWPT_ALLOC, Errno.ENOMEM, 1), new Step.Attach("a"), new Step.Attach("a")));
        StepReport failed = r.steps().get(1);
        assertThat(failed.ok()).isFalse();
        assertThat(failed.errno()).isEqualTo("ENOMEM");
        assertThat(failed.message()).isEqualTo("Failed to allocate hwpt");
        assertThat(failed.calls()).extracting(CallReport::op, CallReport::result).containsExactly(
                org.assertj.core.groups.Tuple.tuple("BIND", "ok"), org.assertj.core.groups.Tuple.tuple("GET_HW_INFO", "ok"),
                org.assertj.core.groups.Tuple.tuple("IOAS_ALLOC", "ok"), org.assertj.core.groups.Tuple.tuple("HWPT_ALLOC", "ENOMEM"),
                org.assertj.core.groups.Tuple.tuple("DESTROY", "ok"));
        assertThat(failed.calls().get(3).flags()).containsExactly("DIRTY_TRACKING");
        assertThat(failed.calls().get(0).flags()).isNull();
        StepReport ok = r.steps().get(2);
        assertThat(ok.ok()).isTrue();
        assertThat(ok.message()).isNull();
        assertThat(r.devices()).singleElement().satisfies(d -> {
            assertThat(d.attached()).isTrue();
            assertThat(d.hwptId()).isNotNull();
            assertThat(d.ioasId()).isEqualTo(r.containers().get(0).ioasId());
        });
    }

    @Test
    void unknownBackendOrProfileIsASimulationException() {
        Scenario s = new Scenario(1, "t", null, null, P, List.of(), List.of(DIRTY), List.of(), List.of());
        assertThatThrownBy(() -> new Simulator().run(s, new SimulationOptions("nope", null)))
                .isInstanceOf(SimulationException.class).hasMessageContaining("no backend named 'nope'");
        assertThatThrownBy(() -> new Simulator().run(s, new SimulationOptions(null, "qemu-0.1")))
                .isInstanceOf(SimulationException.class).hasMessageContaining("unknown profile 'qemu-0.1'");
    }
}
