package io.github.iommufd4j.qemulab;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** (b) Q-ATT-5 on the real QEMU: a plain device after a dirty-capable one, and the reverse order. */
class HeterogeneousLabIT {

    @BeforeEach
    void lab() {
        Lab.installation();
    }

    @Test
    void plainAfterDirtyCapableGetsItsOwnHwptAndTheWarning() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 3), LabDevice.of("vf1", Lab.PLAIN, 4)), "vf0")) {
            LabSession.StepOutcome plug = s.hotplug("vf1");
            Lab.print("plain vf1 after dirty-capable vf0", plug.entries());
            assertThat(plug.ok()).as("device_add: %s", plug.error()).isTrue();
            assertThat(Lab.calls(plug.entries())).containsExactly(
                    "BIND(device vf1, outDevId 4) = ok",
                    "GET_HW_INFO(devId 4) = ok",
                    "ATTACH(devId 4, ptId 3) = EINVAL",                         // the dirty HWPT refuses it
                    "HWPT_ALLOC(devId 4, ptId 2, outHwptId 5, []) = ok",       // same IOAS, no flag
                    "ATTACH(devId 4, ptId 5) = ok");                            // no map: the container's listener runs already
            assertThat(s.qemuName("vf1")).isEqualTo("VFIO_FD32");
            assertThat(s.stderr()).containsExactly("warning: IOMMU instance for device VFIO_FD32 doesn't support dirty tracking");
            assertThat(s.stderr().stream().map(s::withDeviceNames))
                    .containsExactly("warning: IOMMU instance for device vf1 doesn't support dirty tracking");
            // vf0 migrates with IOMMU tracking; vf1 has neither tracker (Q-MIG-3).
            assertThat(s.blockers()).containsExactly("VFIO_FD32: VFIO device doesn't support device and IOMMU dirty tracking");
            assertThat(Lab.errors(s)).isEmpty();
        }
    }

    @Test
    void dirtyCapableAfterPlainReusesThePlainHwptSilently() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.PLAIN, 3), LabDevice.of("vf1", Lab.DIRTY, 4)), "vf0")) {
            assertThat(Lab.calls(s.log().entries())).contains("HWPT_ALLOC(devId 1, ptId 2, outHwptId 3, []) = ok");
            LabSession.StepOutcome plug = s.hotplug("vf1");
            Lab.print("dirty-capable vf1 after plain vf0", plug.entries());
            assertThat(plug.ok()).as("device_add: %s", plug.error()).isTrue();
            assertThat(Lab.calls(plug.entries())).containsExactly(
                    "BIND(device vf1, outDevId 4) = ok",
                    "GET_HW_INFO(devId 4) = ok",
                    "ATTACH(devId 4, ptId 3) = ok");                            // reuse: no allocation, no flag
            assertThat(s.stderr()).isEmpty();
            // Both are blocked: the reuse took the HWPT's (missing) flag, whatever vf1's IOMMU can do (Q-ATT-4).
            assertThat(s.blockers()).containsExactly(
                    "VFIO_FD31: VFIO device doesn't support device and IOMMU dirty tracking",
                    "VFIO_FD32: VFIO device doesn't support device and IOMMU dirty tracking");
            assertThat(Lab.errors(s)).isEmpty();
        }
    }
}
