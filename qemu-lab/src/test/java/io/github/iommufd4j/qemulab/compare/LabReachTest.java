package io.github.iommufd4j.qemulab.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.DmaWrite;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the lab can run, and the reason it gives for what it cannot (no QEMU needed). */
class LabReachTest {
    private static final IommuDef I = IommuDef.withDefaults("i");

    private static Scenario scenario(List<DeviceDef> devices, List<Step> steps, long pageSize) {
        return new Scenario(1, "s", null, null, pageSize, List.of(), List.of(I), devices, steps);
    }

    private static DeviceDef dev(String name, boolean mdev, boolean viommu) {
        return new DeviceDef(name, "i", mdev, false, true, true, OnOffAuto.AUTO, OnOffAuto.ON, viommu);
    }

    @Test
    void whatQemuDoesOnRequestIsInReach() {
        Scenario s = scenario(List.of(dev("vf0", false, false)), List.of(new Step.Attach("vf0"),
                new Step.Fault(io.github.iommufd4j.api.BackendOp.ATTACH, io.github.iommufd4j.api.Errno.EBUSY, 1),
                new Step.Dma("vf0", 0x1000000, 0x1000), new Step.Migrate(List.of(new DmaWrite("vf0", 0x0, 0x1000))),
                new Step.Detach("vf0")), 4096);
        assertThat(LabReach.outOfReach(s)).isEmpty();
    }

    @Test
    void eachReasonNamesWhatAndWhy() {
        Scenario s = scenario(List.of(dev("md0", true, false), dev("vf1", false, true)), List.of(
                new Step.StartDirtyTracking(), Step.Sync.allMemory(), new Step.MapMemory(0x2000000, 0x1000),
                new Step.Dma("vf1", 0xc0000, 0x1000), new Step.Migrate(List.of(new DmaWrite("vf1", 0x8000000, 0x1000)))),
                8192);
        assertThat(LabReach.reasons(s)).containsExactly(
                "pageSize 8192: QEMU tracks dirty pages in host pages of 4096 bytes",
                "device md0 is an mdev: QEMU tells an mdev by its sysfs path, and a device the lab hands over by"
                        + " descriptor has none",
                "device vf1 sits behind a vIOMMU: the lab runs the pc machine without an emulated IOMMU",
                "step 0 (startDirtyTracking): QEMU starts, syncs and stops dirty tracking only inside a migration (migrate)",
                "step 1 (sync): QEMU starts, syncs and stops dirty tracking only inside a migration (migrate)",
                "step 2 (map): the guest memory is QEMU's own (-m 128M); nothing maps or unmaps it on request",
                "step 3 (dma): [0xc0000, 0xc1000) is not inside QEMU's guest RAM at -m 128M ([0x0, 0xc0000) and"
                        + " [0x100000, 0x8000000))",
                "step 4 (migrate): the write [0x8000000, 0x8001000) is not inside QEMU's guest RAM at -m 128M"
                        + " ([0x0, 0xc0000) and [0x100000, 0x8000000))");
        assertThat(LabReach.outOfReach(s)).contains("pageSize 8192: QEMU tracks dirty pages in host pages of 4096 bytes");
    }

    @Test
    void theGuestsVIommuMappingsAreOutOfReach() {
        Scenario s = scenario(List.of(dev("t0", false, false)), List.of(new Step.ViommuMap("t0", 0x1000000, 0x2000)), 4096);
        assertThat(LabReach.reasons(s)).containsExactly("step 0 (viommuMap): the guest's vIOMMU mappings need an emulated"
                + " IOMMU, and the lab runs pc without one");
    }

    @Test
    void moreDevicesThanSlotsIsOutOfReach() {
        List<DeviceDef> devices = new ArrayList<>();
        for (int i = 0; i <= LabReach.MAX_DEVICES; i++) {
            devices.add(dev("vf" + i, false, false));
        }
        assertThat(LabReach.outOfReach(scenario(devices, List.of(), 4096)))
                .hasValueSatisfying(r -> assertThat(r).startsWith("14 devices: the lab plugs at most 13"));
    }

    @Test
    void everyGeneratedLabScenarioIsInReach() {
        for (long seed = 0; seed < 500; seed++) {
            Scenario s = ScenarioGenerator.generate(seed, ScenarioGenerator.Options.qemuLab());
            assertThat(LabReach.outOfReach(s)).as("seed %d", seed).isEmpty();
        }
    }
}
