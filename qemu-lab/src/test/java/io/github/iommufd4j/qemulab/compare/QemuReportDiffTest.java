package io.github.iommufd4j.qemulab.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.ContainerReport;
import io.github.iommufd4j.simulator.report.DeviceReport;
import io.github.iommufd4j.simulator.report.DirtyReport;
import io.github.iommufd4j.simulator.report.HwptReport;
import io.github.iommufd4j.simulator.report.LostRun;
import io.github.iommufd4j.simulator.report.MigrationReport;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison's normalisation: what only one side knows is out, ids are renamed, one line per differing path. */
class QemuReportDiffTest {

    private static SimulationReport report(String profile, int hwpt, boolean dirtyPagesSupported, Map<String, Object> extra,
                                           String message, long lost) {
        Map<String, Object> args = new LinkedHashMap<>(Map.of("hwptId", hwpt));
        args.putAll(extra);
        StepReport step = new StepReport(0, "migrate", null, message == null, null, message,
                List.of(new CallReport("GET_DIRTY_BITMAP", null, "ok", args)), List.of());
        return new SimulationReport(1, "s", profile, "mock", List.of(step),
                List.of(new ContainerReport(2, dirtyPagesSupported, false, List.of(new HwptReport(hwpt,
                        List.of("DIRTY_TRACKING"), List.of("vf0"))), List.of("vf0"))),
                List.of(new DeviceReport("vf0", true, 2, hwpt, dirtyPagesSupported, new MigrationReport(true, false, null))),
                List.of(), new DirtyReport(2, 2 - lost, lost == 0 ? List.of() : List.of(LostRun.of("vf0", 0x1000, lost))),
                List.of());
    }

    @Test
    void sidesAndUnobservableFieldsAndLabFactsAreNotCompared() {
        SimulationReport core = report("qemu-10.0", 3, true, Map.of(), null, 0);
        SimulationReport qemu = report("QEMU 10.0.2", 3, false, Map.of("outDirtyPages", 2, "outRuns", "0:2"), null, 0);
        assertThat(QemuReportDiff.differences(core, qemu)).isEmpty();
    }

    @Test
    void idsAreRenamedByFirstAppearanceSoOnlyTheirPatternCounts() {
        assertThat(QemuReportDiff.differences(report("a", 3, true, Map.of(), null, 0), report("b", 7, true, Map.of(), null, 0)))
                .isEmpty();
    }

    @Test
    void eachDifferingPathIsOneLine() {
        List<String> diff = QemuReportDiff.differences(report("a", 3, true, Map.of(), "ram_save_setup failed", 0),
                report("b", 3, true, Map.of(), "Channel error", 1));
        assertThat(diff).containsExactly("steps[0].message: core=\"ram_save_setup failed\" qemu=\"Channel error\"",
                "dirty.reported: core=2 qemu=1",
                "dirty.lost[0]: core=(absent) qemu={\"device\":\"vf0\",\"iova\":\"0x1000\",\"pages\":1}");
    }

    @Test
    void aMessageAgreesWhenCoresIsTheHeadOfQemusChain() {
        assertThat(QemuReportDiff.differences(report("a", 3, true, Map.of(), "memory listener initialization failed", 0),
                report("b", 3, true, Map.of(), "memory listener initialization failed: Region pc.ram: x", 0))).isEmpty();
    }
}
