package io.github.iommufd4j.qemulab;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** (c) Hot-plug over QMP, and unplug: device_del, then the guest's eject through the PIIX4 register. */
class HotplugLabIT {

    @BeforeEach
    void lab() {
        Lab.installation();
    }

    @Test
    void lastDeviceOutTearsTheContainerDownAndTheDeviceCanComeBack() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 5)))) {
            assertThat(s.hotplug("vf0").ok()).isTrue();
            LabSession.StepOutcome out = s.unplug("vf0");
            Lab.print("unplug of the only device", out.entries());
            assertThat(out.ok()).isTrue();
            List<String> expected = new ArrayList<>(List.of(
                    "DETACH(devId 1) = ok",
                    "DESTROY(id 3) = ok"));
            for (String map : RealizeLabIT.MAPS_128M) {
                expected.add(map.replace("IOAS_MAP", "IOAS_UNMAP").replace(", readOnly true", "").replace(", readOnly false", ""));
            }
            expected.add("DESTROY(id 2) = ok");
            expected.add("UNBIND(devId 1) = ok");
            assertThat(Lab.calls(out.entries())).containsExactlyElementsOf(expected);
            // The eject (HMP o /w 0xae08 0x20) disarms the device's IRQs at once; the rest follows after HMP returns.
            assertThat(out.entries()).extracting(LabEntry::op).containsSubsequence("device_del".isEmpty() ? "" : "QMP",
                    "SET_IRQS", "SET_IRQS", "QMP_RETURN", "DETACH", "UNBIND", "QMP_EVENT");
            assertThat(s.stderr()).containsExactly("KVM VFIO device isn't created yet");
            assertThat(s.mock().inventory().orElseThrow().liveObjects()).isEmpty();

            // The descriptor survived QEMU's close: the same device plugs again, ids reused lowest first.
            LabSession.StepOutcome again = s.hotplug("vf0");
            assertThat(again.ok()).as("second device_add: %s", again.error()).isTrue();
            assertThat(Lab.calls(again.entries())).startsWith(
                    "BIND(device vf0, outDevId 1) = ok",
                    "GET_HW_INFO(devId 1) = ok",
                    "IOAS_ALLOC(outIoasId 2) = ok",
                    "HWPT_ALLOC(devId 1, ptId 2, outHwptId 3, [DIRTY_TRACKING]) = ok",
                    "ATTACH(devId 1, ptId 3) = ok");
            assertThat(Lab.errors(s)).isEmpty();
        }
    }

    @Test
    void deviceSharingAHwptLeavesItAndItsContainer() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 3), LabDevice.of("vf1", Lab.DIRTY, 4)), "vf0")) {
            LabSession.StepOutcome in = s.hotplug("vf1");
            assertThat(Lab.calls(in.entries())).containsExactly(
                    "BIND(device vf1, outDevId 4) = ok",
                    "GET_HW_INFO(devId 4) = ok",
                    "ATTACH(devId 4, ptId 3) = ok");
            LabSession.StepOutcome out = s.unplug("vf1");
            Lab.print("unplug of a device sharing its HWPT", out.entries());
            assertThat(Lab.calls(out.entries())).containsExactly("DETACH(devId 4) = ok", "UNBIND(devId 4) = ok");
            LabSession.StepOutcome missing = s.unplug("vf1");
            assertThat(missing.ok()).isFalse();
            assertThat(missing.error()).isEqualTo("Device 'vf1' not found");
            assertThat(Lab.errors(s)).isEmpty();
        }
    }

    @Test
    void hotplugOfAnUnknownDescriptorIsRefusedByQemu() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 3)))) {
            var r = s.qmp();
            Qmp.QmpException e = org.junit.jupiter.api.Assertions.assertThrows(Qmp.QmpException.class, () -> r.execute(
                    "device_add", java.util.Map.of("driver", "vfio-pci", "id", "x", "fd", "77", "iommufd", "fd0"),
                    s.config().timeout()));
            System.out.println("device_add with fd 77: " + e.description());
            assertThat(e.description()).isNotBlank();
            assertThat(Lab.calls(s.log().entries())).isEmpty();
        }
    }
}
