package io.github.iommufd4j.qemulab;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** (e) Devices QEMU refuses to migrate: the blockers of query-migrate, the error of migrate, enable-migration. */
class BlockerLabIT {

    @BeforeEach
    void lab() {
        Lab.installation();
    }

    @Test
    void deviceWithoutMigrationBlocksAndMigrateSaysSo() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 3).withMigration(false)), "vf0")) {
            // The probe is a GET of the MIGRATION feature; ENOTTY means "not supported", and nothing else is probed.
            assertThat(s.log().entries()).filteredOn(e -> e.op().equals("MIGRATION") || e.op().startsWith("DMA_LOGGING"))
                    .extracting(LabEntry::toString)
                    .containsExactly("MIGRATION(devId 1, device vf0, get true, probe false) = ENOTTY");
            assertThat(s.blockers()).containsExactly("VFIO_FD31: VFIO migration is not supported in kernel");
            LabSession.MigrationOutcome m = s.migrate();
            assertThat(m.status()).isNull();
            assertThat(m.error()).isEqualTo("VFIO_FD31: VFIO migration is not supported in kernel");
            assertThat(s.withDeviceNames(m.error())).isEqualTo("vf0: VFIO migration is not supported in kernel");
            assertThat(m.backendCalls()).isEmpty();
            assertThat(s.stderr()).isEmpty();
        }
    }

    @Test
    void everyBlockerIsListedButMigrateNamesOnlyTheLast() {
        try (LabSession s = Lab.start(List.of(
                LabDevice.of("vf0", Lab.DIRTY, 3).withEnableMigration("off"),
                LabDevice.of("vf1", Lab.DIRTY, 4).withMigration(false),
                LabDevice.of("vf2", Lab.PLAIN, 5)), "vf0", "vf1", "vf2")) {
            List<String> blockers = s.blockers();
            System.out.println("blockers: " + blockers);
            assertThat(blockers).containsExactly(
                    "VFIO_FD31: Migration is disabled for VFIO device",
                    "VFIO_FD32: VFIO migration is not supported in kernel",
                    "VFIO_FD33: VFIO device doesn't support device and IOMMU dirty tracking");
            LabSession.MigrationOutcome m = s.migrate();
            assertThat(m.error()).isEqualTo("VFIO_FD33: VFIO device doesn't support device and IOMMU dirty tracking");
            // enable-migration=off: not even probed.
            assertThat(s.log().entries()).filteredOn(e -> e.op().equals("MIGRATION"))
                    .extracting(e -> e.arg("device")).containsExactly("vf1", "vf2");
            // A cold-plugged device's messages carry the command-line option they came from.
            assertThat(s.stderr()).containsExactly("-device vfio-pci,id=vf2,fd=33,iommufd=fd0,bus=pci.0,addr=0x5: "
                    + "warning: IOMMU instance for device VFIO_FD33 doesn't support dirty tracking");
        }
    }

    @Test
    void enableMigrationOnMakesTheRefusalARealizeError() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 3).withMigration(false).withEnableMigration("on")))) {
            LabSession.StepOutcome plug = s.hotplug("vf0");
            Lab.print("device_add of a device with enable-migration=on and no migration", plug.entries());
            assertThat(plug.ok()).isFalse();
            System.out.println("device_add error: " + plug.error());
            // QEMU prefixes the realize error with "vfio <name>: ", and the blocker text has the name already.
            assertThat(plug.error()).isEqualTo("vfio VFIO_FD31: VFIO_FD31: VFIO migration is not supported in kernel");
            // The attach is rolled back in full (Q-ATT-10): nothing is left in the backend.
            assertThat(Lab.calls(plug.entries())).endsWith("DESTROY(id 2) = ok", "UNBIND(devId 1) = ok");
            assertThat(s.mock().inventory().orElseThrow().liveObjects()).isEmpty();
            assertThat(s.blockers()).isEmpty();
        }
    }
}
