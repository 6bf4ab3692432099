package io.github.iommufd4j.simulator.testing;

import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.ContainerReport;
import io.github.iommufd4j.simulator.report.DeviceReport;
import io.github.iommufd4j.simulator.report.DirtyReport;
import io.github.iommufd4j.simulator.report.HwptReport;
import io.github.iommufd4j.simulator.report.LostRun;
import io.github.iommufd4j.simulator.report.MigrationReport;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.List;

/** A hand-built scenario and report: two containers, a shared HWPT, an mdev on the IOAS, a detached device. */
public final class Fixtures {
    private Fixtures() {
    }

    public static Scenario scenario() {
        return new Scenario(1, "fixture", null, null, 4096, List.of(),
                List.of(new IommuDef("iommu0", "default", true, true), IommuDef.withDefaults("iommu1")),
                List.of(DeviceDef.withDefaults("vf0", "iommu0"), DeviceDef.withDefaults("vf1", "iommu1"),
                        new DeviceDef("md0", "iommu1", true, false, true, true, OnOffAuto.AUTO, OnOffAuto.ON, false),
                        DeviceDef.withDefaults("vf2", "iommu0")),
                List.of(new Step.Attach("vf0"), new Step.Attach("vf1")));
    }

    public static SimulationReport report() {
        StepReport s0 = new StepReport(0, "attach", "vf0", true, null, null,
                List.of(new CallReport("HWPT_ALLOC", List.of("DIRTY_TRACKING"), "ok"), CallReport.of("ATTACH", "ok")),
                List.of());
        StepReport s1 = new StepReport(1, "attach", "vf1", false, "EINVAL", "vf1: \"quoted\" failure",
                List.of(CallReport.of("ATTACH", "EINVAL")), List.of("IOMMU instance for device vf1 doesn't support dirty tracking"));
        ContainerReport c2 = new ContainerReport(2, false, true, List.of(new HwptReport(7, List.of(), List.of("vf1"))),
                List.of("md0", "vf1"));
        ContainerReport c1 = new ContainerReport(1, true, false,
                List.of(new HwptReport(4, List.of("NEST_PARENT", "DIRTY_TRACKING"), List.of("vf0"))), List.of("vf0"));
        List<DeviceReport> devices = List.of(
                new DeviceReport("vf0", true, 1, 4, true, new MigrationReport(true, false, null)),
                new DeviceReport("vf1", true, 2, 7, false, new MigrationReport(false, false, "vf1: no dirty tracking")),
                new DeviceReport("md0", true, 2, null, false, null),
                new DeviceReport("vf2", false, null, null, false, null));
        return new SimulationReport(1, "fixture", "qemu-9.1", "mock", List.of(s0, s1), List.of(c2, c1), devices,
                List.of("IOMMU instance for device vf1 doesn't support dirty tracking"),
                new DirtyReport(3, 1, List.of(LostRun.of("vf1", 0x1000000, 2))), List.of("HWPT 9"));
    }
}
