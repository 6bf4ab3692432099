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
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The places where core departed from QEMU until the rules were settled from QEMU's source and binary
 * ({@code docs/fidelity.md}): each scenario as the rules now state it, under {@code qemu-9.1} and
 * {@code qemu-10.0}, where these rules are the same.
 */
class FidelityRulesTest {
    private static final long M1 = 0x1000000;
    private static final long M2 = 0x2000000;
    private static final IommuDef DIRTY = new IommuDef("i0", "default", true, true);
    private static final IommuDef PLAIN = new IommuDef("i1", "default", false, true);

    private static DeviceDef device(String name, String iommu, boolean vf, boolean viommu) {
        return new DeviceDef(name, iommu, false, vf, true, true, OnOffAuto.AUTO, OnOffAuto.ON, viommu);
    }

    private static SimulationReport run(String profile, List<MemoryRange> memory, List<DeviceDef> devices, Step... steps) {
        Scenario s = new Scenario(1, "fidelity", profile, null, 4096, memory, List.of(DIRTY, PLAIN), devices, List.of(steps));
        return new Simulator().run(s, SimulationOptions.defaults()).report();
    }

    private static SimulationReport run(String profile, List<DeviceDef> devices, Step... steps) {
        return run(profile, List.of(new MemoryRange(M1, 0x400000)), devices, steps);
    }

    private static List<String> calls(StepReport step) {
        return step.calls().stream().map(c -> c.op() + "=" + c.result()).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-9.1", "qemu-10.0"})
    void qHp1_detachDuringMigrationFailsWithNoCallAndNoDmaLoggingStop(String profile) {
        SimulationReport r = run(profile, List.of(device("d0", "i1", true, false)),
                new Step.Attach("d0"), new Step.StartDirtyTracking(), new Step.Detach("d0"));
        assertThat(calls(r.steps().get(1))).containsExactly("DMA_LOGGING_START=ok");
        StepReport detach = r.steps().get(2);
        assertThat(detach.ok()).isFalse();
        assertThat(detach.errno()).isNull();
        assertThat(detach.message()).isEqualTo("device_del not allowed while migrating");
        assertThat(detach.calls()).isEmpty();
        assertThat(r.devices().get(0).attached()).isTrue();
        assertThat(r.leakedObjects()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-9.1", "qemu-10.0"})
    void qHp1_attachDuringMigrationFailsWithNoCall(String profile) {
        SimulationReport r = run(profile, List.of(device("d0", "i0", false, false), device("d1", "i0", false, false)),
                new Step.Attach("d0"), new Step.StartDirtyTracking(), new Step.Attach("d1"));
        StepReport attach = r.steps().get(2);
        assertThat(attach.ok()).isFalse();
        assertThat(attach.errno()).isNull();
        assertThat(attach.message()).isEqualTo("device_add not allowed while migrating");
        assertThat(attach.calls()).isEmpty();
        assertThat(r.devices().get(1).attached()).isFalse();
        assertThat(r.devices().get(1).migration()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-9.1", "qemu-10.0"})
    void qDt7_stopWhileNotStartedFailsWithNoCall(String profile) {
        SimulationReport r = run(profile, List.of(device("d0", "i0", false, false)),
                new Step.Attach("d0"), new Step.StopDirtyTracking(),
                new Step.Fault(BackendOp.SET_DIRTY_TRACKING, Errno.ENOMEM, 1), new Step.StartDirtyTracking(),
                new Step.StopDirtyTracking());
        for (int i : new int[] {1, 4}) {
            StepReport stop = r.steps().get(i);
            assertThat(stop.ok()).as("step %d", i).isFalse();
            assertThat(stop.errno()).isNull();
            assertThat(stop.message()).isEqualTo("dirty tracking is not started");
            assertThat(stop.calls()).isEmpty();
        }
        assertThat(r.steps().get(3).ok()).isFalse();
        assertThat(r.steps().get(3).errno()).isEqualTo("ENOMEM");
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-9.1", "qemu-10.0"})
    void qDt7_repeatedStartMakesNoCallAndLosesNothing(String profile) {
        SimulationReport r = run(profile, List.of(device("d0", "i0", false, false)),
                new Step.Attach("d0"), new Step.StartDirtyTracking(), new Step.Dma("d0", M1, 0x1000),
                new Step.StartDirtyTracking(), Step.Sync.allMemory());
        assertThat(r.steps().get(3).ok()).isTrue();
        assertThat(r.steps().get(3).calls()).isEmpty();
        assertThat(r.dirty().written()).isEqualTo(1);
        assertThat(r.dirty().reported()).isEqualTo(1);
        assertThat(r.dirty().lost()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-9.1", "qemu-10.0"})
    void qDt6_stopGoesNewestContainerFirst(String profile) {
        SimulationReport r = run(profile, List.of(device("d0", "i0", false, false), device("d1", "i1", true, true)),
                new Step.Attach("d0"), new Step.Attach("d1"), new Step.StartDirtyTracking(), new Step.StopDirtyTracking());
        assertThat(calls(r.steps().get(2))).containsExactly("SET_DIRTY_TRACKING=ok", "DMA_LOGGING_START=ok");
        assertThat(calls(r.steps().get(3))).containsExactly("DMA_LOGGING_STOP=ok", "SET_DIRTY_TRACKING=ok");
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-9.1", "qemu-10.0"})
    void qAtt11_mapFailureMapsTheRestThenUndoesInQemuOrder(String profile) {
        SimulationReport r = run(profile, List.of(new MemoryRange(M1, 0x400000), new MemoryRange(M2, 0x100000)),
                List.of(device("d0", "i0", false, false)),
                new Step.Fault(BackendOp.IOAS_MAP, Errno.ENOMEM, 1), new Step.Attach("d0"));
        StepReport attach = r.steps().get(1);
        assertThat(attach.ok()).isFalse();
        assertThat(attach.errno()).isEqualTo("ENOMEM");
        assertThat(attach.message()).isEqualTo("memory listener initialization failed");
        assertThat(calls(attach)).containsExactly("BIND=ok", "GET_HW_INFO=ok", "IOAS_ALLOC=ok", "HWPT_ALLOC=ok",
                "ATTACH=ok", "IOAS_MAP=ENOMEM", "IOAS_MAP=ok", "DETACH=ok", "DESTROY=ok", "IOAS_UNMAP=ENOENT",
                "IOAS_UNMAP=ok", "DESTROY=ok");
        assertThat(r.containers()).isEmpty();
        assertThat(r.leakedObjects()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-9.1", "qemu-10.0"})
    void flatViewOrderDecidesWhichRangeAFaultHits(String profile) {
        List<MemoryRange> memory = List.of(new MemoryRange(M2, 0x100000), new MemoryRange(M1, 0x400000));
        List<DeviceDef> devices = List.of(device("d0", "i0", false, false));
        Step[] steps = {new Step.Attach("d0"), new Step.StartDirtyTracking(), new Step.Dma("d0", M1, 0x1000),
            new Step.Dma("d0", M2, 0x1000), new Step.Fault(BackendOp.GET_DIRTY_BITMAP, Errno.EIO, 1), Step.Sync.allMemory(),
            new Step.StopDirtyTracking()};
        SimulationReport r = run(profile, memory, devices, steps);
        StepReport sync = r.steps().get(5);
        assertThat(sync.ok()).isFalse();
        assertThat(sync.errno()).isEqualTo("EIO");
        assertThat(sync.message()).isEqualTo("IOMMU_HWPT_GET_DIRTY_BITMAP (iova: 0x1000000 size: 0x400000) failed");
        assertThat(sync.calls()).extracting(c -> c.args().get("iova") + "=" + c.result())
                .containsExactly("0x1000000=EIO", "0x2000000=ok");
        assertThat(r.dirty().written()).isEqualTo(2);
        assertThat(r.dirty().lost()).containsExactly(LostRun.of("d0", M1, 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-9.1", "qemu-10.0"})
    void dmaLoggingStopWarningCarriesNegativeErrnoAndStrerror(String profile) {
        SimulationReport r = run(profile, List.of(device("d0", "i1", true, false)),
                new Step.Attach("d0"), new Step.StartDirtyTracking(),
                new Step.Fault(BackendOp.DMA_LOGGING_STOP, Errno.EIO, 1), new Step.StopDirtyTracking());
        StepReport stop = r.steps().get(3);
        assertThat(stop.ok()).isTrue();
        assertThat(stop.warnings()).containsExactly("d0: Failed to stop DMA logging, err -5 (Input/output error)");
        assertThat(calls(stop)).containsExactly("DMA_LOGGING_STOP=EIO");
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-9.1", "qemu-10.0"})
    void faultsPendingAtTheEndAreDroppedBeforeTheFinalSync(String profile) {
        SimulationReport r = run(profile, List.of(device("d0", "i0", false, false)),
                new Step.Attach("d0"), new Step.StartDirtyTracking(), new Step.Dma("d0", M1, 0x1000),
                new Step.Fault(BackendOp.GET_DIRTY_BITMAP, Errno.EIO, 1), new Step.Fault(BackendOp.DETACH, Errno.EIO, 1));
        assertThat(r.dirty().reported()).isEqualTo(1);
        assertThat(r.dirty().lost()).isEmpty();
        assertThat(r.warnings()).isEmpty();
        assertThat(r.leakedObjects()).isEmpty();
        assertThat(r.steps()).extracting(StepReport::ok).containsOnly(true);
        assertThat(r.steps().get(1).calls()).extracting(CallReport::op).containsExactly("SET_DIRTY_TRACKING");
    }
}
