package io.github.iommufd4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.IommuSpec;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Section 5 of docs/reference/qemu-rules.md: one test per row, with its message, on backend-mock. */
class MigrationRulesTest {

    private static DeviceSpec spec(String name, IommuSpec iommu, boolean vf, boolean migration, boolean p2p) {
        return new DeviceSpec(name, iommu, false, vf, migration, p2p);
    }

    private static MigrationDecision decide(TestHost h, String name, OnOffAuto e, OnOffAuto x, boolean viommu) {
        h.vmm.attach(new DeviceConfig(name, name, e, x, viommu));
        return h.dev(name).migration();
    }

    @Test
    @DisplayName("Q-MIG-1: enable-migration=off blocks, never fatal, even with on-like inputs")
    void qMig1_disabled() {
        TestHost h = new TestHost().device(spec("d", TestHost.DIRTY, true, true, true));
        MigrationDecision m = decide(h, "d", OnOffAuto.OFF, OnOffAuto.ON, false);
        assertThat(m).isEqualTo(new MigrationDecision("Q-MIG-1", false, false, "d: Migration is disabled for VFIO device"));
    }

    @Test
    @DisplayName("Q-MIG-2: no VFIO migration blocks (auto) or fails the realize (on)")
    void qMig2_notSupported() {
        TestHost h = new TestHost().device(spec("d", TestHost.DIRTY, true, false, true))
                .device(spec("e", TestHost.DIRTY, true, false, true));
        assertThat(decide(h, "d", OnOffAuto.AUTO, OnOffAuto.ON, false)).isEqualTo(
                new MigrationDecision("Q-MIG-2", false, false, "d: VFIO migration is not supported in kernel"));
        assertThatThrownBy(() -> decide(h, "e", OnOffAuto.ON, OnOffAuto.ON, false)).isInstanceOfSatisfying(
                VfioException.class, ex -> assertThat(ex.qemuMessage()).isEqualTo("e: VFIO migration is not supported in kernel"));
        assertThat(h.dev("e").migration()).isEqualTo(
                new MigrationDecision("Q-MIG-2", false, true, "e: VFIO migration is not supported in kernel"));
        assertThat(h.dev("e").attached()).isFalse();
    }

    @Test
    @DisplayName("Q-MIG-3: neither VF nor IOMMU dirty tracking: auto blocks; on only warns and goes on")
    void qMig3_noDirtyTracking() {
        TestHost h = new TestHost().device(spec("d", TestHost.PLAIN, false, true, true))
                .device(spec("e", TestHost.PLAIN, false, true, true));
        assertThat(decide(h, "d", OnOffAuto.AUTO, OnOffAuto.ON, false)).isEqualTo(new MigrationDecision("Q-MIG-3", false,
                false, "d: VFIO device doesn't support device and IOMMU dirty tracking"));
        h.vmm.detach("d");
        assertThat(decide(h, "e", OnOffAuto.ON, OnOffAuto.ON, false))
                .isEqualTo(new MigrationDecision("Q-MIG-6", true, false, null));
        assertThat(h.warnings()).containsExactly("e: VFIO device doesn't support device and IOMMU dirty tracking");
    }

    @Test
    @DisplayName("Q-MIG-3: VF tracking with x-device-dirty-page-tracking=off counts as none")
    void qMig3_vfTrackingOff() {
        TestHost h = new TestHost().device(spec("d", TestHost.PLAIN, true, true, true))
                .device(spec("e", TestHost.PLAIN, true, true, true));
        assertThat(decide(h, "d", OnOffAuto.AUTO, OnOffAuto.OFF, false).rule()).isEqualTo("Q-MIG-3");
        h.vmm.detach("d");
        assertThat(decide(h, "e", OnOffAuto.AUTO, OnOffAuto.ON, false).rule()).isEqualTo("Q-MIG-6");
    }

    @Test
    @DisplayName("Q-MIG-3: IOMMU dirty tracking is I = D.iommu_dirty_tracking, so a reused non-dirty HWPT counts as none")
    void qMig3_usesIommuDirtyTrackingFlag() {
        TestHost h = new TestHost().device(spec("b", TestHost.PLAIN, true, true, true))
                .device(spec("a", TestHost.DIRTY, false, true, true));
        decide(h, "b", OnOffAuto.AUTO, OnOffAuto.ON, false);
        assertThat(decide(h, "a", OnOffAuto.AUTO, OnOffAuto.ON, false).rule()).isEqualTo("Q-MIG-3");
    }

    @Test
    @DisplayName("Q-MIG-4: a second migratable device without P2P blocks (auto) or fails (on)")
    void qMig4_multipleWithoutP2p() {
        TestHost h = new TestHost().device(spec("a", TestHost.DIRTY, false, true, true))
                .device(spec("b", TestHost.DIRTY, false, true, false))
                .device(spec("c", TestHost.DIRTY, false, true, false));
        assertThat(decide(h, "a", OnOffAuto.AUTO, OnOffAuto.ON, false).rule()).isEqualTo("Q-MIG-6");
        assertThat(decide(h, "b", OnOffAuto.AUTO, OnOffAuto.ON, false)).isEqualTo(new MigrationDecision("Q-MIG-4", false,
                false, "Multiple VFIO devices migration is supported only if all of them support P2P migration"));
        assertThatThrownBy(() -> decide(h, "c", OnOffAuto.ON, OnOffAuto.ON, false)).isInstanceOfSatisfying(
                VfioException.class, ex -> assertThat(ex.qemuMessage())
                        .isEqualTo("Multiple VFIO devices migration is supported only if all of them support P2P migration"));
    }

    @Test
    @DisplayName("Q-MIG-4: one VM-wide blocker; a later device passes the row, and the blocker goes once the devices left"
            + " are supported (measured on QEMU 10.0.2)")
    void qMig4_oneVmWideBlocker() {
        // The qemu-lab's sequence (qemu-lab/README.md, "Blockers"): a and c with P2P, b and d without.
        TestHost h = new TestHost().device(spec("a", TestHost.DIRTY, false, true, true))
                .device(spec("b", TestHost.DIRTY, false, true, false))
                .device(spec("c", TestHost.DIRTY, false, true, true))
                .device(spec("d", TestHost.DIRTY, false, true, false));
        String multiple = "Multiple VFIO devices migration is supported only if all of them support P2P migration";
        decide(h, "a", OnOffAuto.AUTO, OnOffAuto.ON, false);
        assertThat(h.vmm.migrationBlockers()).isEmpty();
        assertThat(decide(h, "b", OnOffAuto.AUTO, OnOffAuto.ON, false))
                .isEqualTo(new MigrationDecision("Q-MIG-4", false, false, multiple));
        // c meets the row too, but the blocker exists: c passes it and is allowed; no second blocker.
        assertThat(decide(h, "c", OnOffAuto.AUTO, OnOffAuto.ON, false))
                .isEqualTo(new MigrationDecision("Q-MIG-6", true, false, null));
        assertThat(h.vmm.migrationBlockers()).containsExactly(multiple);
        h.vmm.detach("b");
        assertThat(h.vmm.migrationBlockers()).as("a and c: all with P2P").isEmpty();
        assertThat(decide(h, "b", OnOffAuto.AUTO, OnOffAuto.ON, false).rule()).isEqualTo("Q-MIG-4");
        h.vmm.detach("a");
        assertThat(h.vmm.migrationBlockers()).as("b and c: two, one without P2P").containsExactly(multiple);
        h.vmm.detach("c");
        assertThat(h.vmm.migrationBlockers()).as("b alone").isEmpty();
        decide(h, "d", OnOffAuto.AUTO, OnOffAuto.ON, false);
        assertThat(h.vmm.migrationBlockers()).containsExactly(multiple);
    }

    @Test
    @DisplayName("Q-MIG-4: with enable-migration=on the realize fails even while the VM-wide blocker exists (measured on"
            + " QEMU 10.0.2)")
    void qMig4_onFailsWhileBlocked() {
        TestHost h = new TestHost().device(spec("a", TestHost.DIRTY, false, true, true))
                .device(spec("b", TestHost.DIRTY, false, true, false))
                .device(spec("c", TestHost.DIRTY, false, true, false));
        decide(h, "a", OnOffAuto.AUTO, OnOffAuto.ON, false);
        decide(h, "b", OnOffAuto.AUTO, OnOffAuto.ON, false);
        assertThatThrownBy(() -> decide(h, "c", OnOffAuto.ON, OnOffAuto.ON, false)).isInstanceOf(VfioException.class);
        assertThat(h.dev("c").migration()).isEqualTo(new MigrationDecision("Q-MIG-4", false, true,
                "Multiple VFIO devices migration is supported only if all of them support P2P migration"));
        assertThat(h.vmm.migrationBlockers()).hasSize(1);
    }

    @Test
    @DisplayName("Section 5: the blockers are listed oldest first, a device's own and the VM-wide one, and go with the"
            + " device (measured on QEMU 10.0.2)")
    void blockersInRealizeOrder() {
        TestHost h = new TestHost().device(spec("x", TestHost.DIRTY, false, true, true))
                .device(spec("y", TestHost.DIRTY, false, false, true))
                .device(spec("z", TestHost.PLAIN, false, true, true));
        decide(h, "x", OnOffAuto.OFF, OnOffAuto.ON, false);
        decide(h, "y", OnOffAuto.AUTO, OnOffAuto.ON, false);
        decide(h, "z", OnOffAuto.AUTO, OnOffAuto.ON, false);
        assertThat(h.vmm.migrationBlockers()).containsExactly("x: Migration is disabled for VFIO device",
                "y: VFIO migration is not supported in kernel",
                "z: VFIO device doesn't support device and IOMMU dirty tracking");
        h.vmm.detach("y");
        assertThat(h.vmm.migrationBlockers()).containsExactly("x: Migration is disabled for VFIO device",
                "z: VFIO device doesn't support device and IOMMU dirty tracking");
    }

    @Test
    @DisplayName("Q-MIG-4: devices with migration off or unsupported do not count as migratable")
    void qMig4_onlyMigratableDevicesCount() {
        TestHost h = new TestHost().device(spec("a", TestHost.DIRTY, false, false, false))
                .device(spec("b", TestHost.DIRTY, false, true, false))
                .device(spec("c", TestHost.DIRTY, false, true, false));
        decide(h, "a", OnOffAuto.AUTO, OnOffAuto.ON, false); // Q-MIG-2: not migratable
        decide(h, "b", OnOffAuto.OFF, OnOffAuto.ON, false); // Q-MIG-1: not migratable
        assertThat(decide(h, "c", OnOffAuto.AUTO, OnOffAuto.ON, false).rule()).isEqualTo("Q-MIG-6");
    }

    @Test
    @DisplayName("Q-MIG-4: a device blocked by Q-MIG-3 keeps its migration state and still counts as migratable")
    void qMig4_blockedByRow3StillCounts() {
        TestHost h = new TestHost().device(spec("b", TestHost.PLAIN, false, true, true))
                .device(spec("c", TestHost.PLAIN, true, true, false)); // VF tracking: passes Q-MIG-3
        assertThat(decide(h, "b", OnOffAuto.AUTO, OnOffAuto.ON, false).rule()).isEqualTo("Q-MIG-3");
        assertThat(decide(h, "c", OnOffAuto.AUTO, OnOffAuto.ON, false).rule()).isEqualTo("Q-MIG-4");
    }

    @Test
    @DisplayName("Q-MIG-5: a device behind a vIOMMU is blocked (auto) or fails (on)")
    void qMig5_viommu() {
        TestHost h = new TestHost().device(spec("v", TestHost.DIRTY, false, true, true))
                .device(spec("w", TestHost.DIRTY, false, true, true));
        assertThat(decide(h, "v", OnOffAuto.AUTO, OnOffAuto.ON, true)).isEqualTo(new MigrationDecision("Q-MIG-5", false,
                false, "v: Migration is currently not supported with vIOMMU enabled"));
        assertThatThrownBy(() -> decide(h, "w", OnOffAuto.ON, OnOffAuto.ON, true)).isInstanceOf(VfioException.class);
        assertThat(h.dev("w").migration().fatal()).isTrue();
    }

    @Test
    @DisplayName("Q-MIG-6: IOMMU dirty tracking alone, or VF tracking alone, allows migration")
    void qMig6_allowed() {
        TestHost h = new TestHost().device(spec("a", TestHost.DIRTY, false, true, true))
                .device(spec("v", TestHost.PLAIN, true, true, true));
        assertThat(decide(h, "a", OnOffAuto.AUTO, OnOffAuto.ON, false))
                .isEqualTo(new MigrationDecision("Q-MIG-6", true, false, null));
        assertThat(decide(h, "v", OnOffAuto.AUTO, OnOffAuto.ON, false).allowed()).isTrue();
    }
}
