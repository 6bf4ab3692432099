package io.github.iommufd4j.core;

import io.github.iommufd4j.api.BackendCall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HwptAllocFlag;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Section 2 of docs/reference/qemu-rules.md on backend-mock. */
class AttachRulesTest {

    private static final String WARN_B = "IOMMU instance for device b doesn't support dirty tracking";

    @Test
    @DisplayName("Q-ATT-1: bind, GET_HW_INFO, IOAS_ALLOC, HWPT_ALLOC, ATTACH, then the memory maps, in that order")
    void qAtt1_orderOfOneAttach() {
        TestHost h = new TestHost().withMemory().device("a", TestHost.DIRTY);
        h.attach("a");
        assertThat(h.calls()).containsExactly("BIND=ok", "GET_HW_INFO=ok", "IOAS_ALLOC=ok", "HWPT_ALLOC=ok", "ATTACH=ok",
                "IOAS_MAP=ok");
        assertThat(h.dev("a").hostIommu().supportsDirtyTracking()).isTrue();
        assertThat(h.dev("a").attached()).isTrue();
    }

    @Test
    @DisplayName("Q-ATT-1: a GET_HW_INFO failure fails the attach with 'Failed to get hardware info' and unbinds")
    void qAtt1_hwInfoFailure() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY);
        h.mock.failNth(BackendOp.GET_HW_INFO, 1, Errno.ENOMEM);
        assertThatThrownBy(() -> h.attach("a")).isInstanceOfSatisfying(VfioException.class, e -> {
            assertThat(e.qemuMessage()).isEqualTo("Failed to get hardware info");
            assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
        });
        assertThat(h.calls()).containsExactly("BIND=ok", "GET_HW_INFO=ENOMEM", "UNBIND=ok");
        assertThat(h.topology().containers()).isEmpty();
        assertThat(h.mock.liveObjects()).isEmpty();
    }

    @Test
    @DisplayName("Q-ATT-2: EINVAL from a HWPT means try the next; the device ends on the one that accepts")
    void qAtt2_einvalMeansNext() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN).device("c", TestHost.PLAIN);
        h.attach("a"); // H1{DIRTY}
        h.attach("b"); // H1 refuses (K-ATT-2): H2{}
        h.calls();
        h.attach("c"); // tries H2 first (newest): accepted
        assertThat(h.calls()).containsExactly("BIND=ok", "GET_HW_INFO=ok", "ATTACH=ok");
        Snapshots.ContainerView c = h.onlyContainer();
        assertThat(c.hwpts()).hasSize(2);
        assertThat(c.hwpts().get(0).devices()).containsExactly("c", "b");
    }

    @Test
    @DisplayName("Q-ATT-2: an errno other than EINVAL stops the search; nothing later is tried, nothing allocated")
    void qAtt2_otherErrnoStops() {
        TestHost h = new TestHost().device("a", TestHost.PLAIN).device("b", TestHost.PLAIN).device("x", TestHost.OTHER_FAMILY);
        h.attach("a");
        h.attach("x"); // different family: second HWPT in the same container? no: EINVAL then a new HWPT
        Snapshots.ContainerView before = h.onlyContainer();
        assertThat(before.hwpts()).hasSize(2);
        h.calls();
        h.mock.failNth(BackendOp.ATTACH, 1, Errno.ENOMEM); // the first ATTACH of b's search
        // The search in the only container stops: Q-ATT-7 then makes a new container for b.
        h.attach("b");
        List<String> calls = h.calls();
        assertThat(calls).containsExactly("BIND=ok", "GET_HW_INFO=ok", "ATTACH=ENOMEM", "IOAS_ALLOC=ok",
                "HWPT_ALLOC=ok", "ATTACH=ok");
        assertThat(h.topology().containers()).hasSize(2);
        assertThat(h.topology().container(before.ioasId()).hwpts()).isEqualTo(before.hwpts());
    }

    @Test
    @DisplayName("Q-ATT-3: DIRTY_TRACKING is asked for exactly when the IOMMU reports the capability")
    void qAtt3_flagFollowsCapability() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY).device("x", TestHost.OTHER_FAMILY)
                .device(new DeviceSpec("p", TestHost.PLAIN, false, true, true, true));
        h.attach("a");
        h.attach("p"); // VF tracking does not matter: no flag for a non-dirty IOMMU
        List<BackendCall> allocs = h.fullCalls().stream().filter(c -> c.op() == BackendOp.HWPT_ALLOC).toList();
        assertThat(allocs).extracting(c -> c.flags().toString()).containsExactly("[DIRTY_TRACKING]", "[]");
        assertThat(h.dev("a").iommuDirtyTracking()).isTrue();
        assertThat(h.dev("p").iommuDirtyTracking()).isFalse();
    }

    @Test
    @DisplayName("Q-ATT-3: a failed allocation fails the attach with 'Failed to allocate hwpt' and is not retried without the flag")
    void qAtt3_allocationFailureNoRetry() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY);
        h.mock.failNth(BackendOp.HWPT_ALLOC, 1, Errno.EOPNOTSUPP);
        assertThatThrownBy(() -> h.attach("a")).isInstanceOfSatisfying(VfioException.class, e -> {
            assertThat(e.qemuMessage()).isEqualTo("Failed to allocate hwpt");
            assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP);
        });
        assertThat(h.calls()).containsExactly("BIND=ok", "GET_HW_INFO=ok", "IOAS_ALLOC=ok", "HWPT_ALLOC=EOPNOTSUPP",
                "DESTROY=ok", "UNBIND=ok");
        assertThat(h.mock.liveObjects()).isEmpty();
    }

    @Test
    @DisplayName("Q-ATT-3: an ATTACH failure on the fresh HWPT, EINVAL included, destroys it and fails the attach")
    void qAtt3_attachFailureDestroysFreshHwpt() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY);
        h.mock.failNth(BackendOp.ATTACH, 1, Errno.EINVAL);
        assertThatThrownBy(() -> h.attach("a")).isInstanceOfSatisfying(VfioException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        List<BackendCall> calls = h.fullCalls();
        assertThat(calls).extracting(c -> c.op() + "=" + (c.ok() ? "ok" : c.result().name())).containsExactly(
                "BIND=ok", "GET_HW_INFO=ok", "IOAS_ALLOC=ok", "HWPT_ALLOC=ok", "ATTACH=EINVAL", "DESTROY=ok", "DESTROY=ok",
                "UNBIND=ok");
        // the first DESTROY is the fresh HWPT, the second the IOAS
        assertThat(calls.get(5).arguments()).isNotEqualTo(calls.get(6).arguments());
        assertThat(h.mock.liveObjects()).isEmpty();
        assertThat(h.warnings()).isEmpty();
    }

    @Test
    @DisplayName("Q-ATT-3: success records D.hwpt, iommu_dirty_tracking, lists and ORs dirty_pages_supported")
    void qAtt3_successRecordsEverything() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY);
        h.attach("a");
        Snapshots.ContainerView c = h.onlyContainer();
        assertThat(c.dirtyPagesSupported()).isTrue();
        assertThat(c.hwpts()).singleElement().satisfies(hw -> {
            assertThat(hw.flags()).isEqualTo(HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING));
            assertThat(hw.devices()).containsExactly("a");
        });
        assertThat(h.dev("a").hwptId()).isEqualTo(c.hwpts().get(0).id());
        assertThat(h.dev("a").iommuDirtyTracking()).isTrue();
        assertThat(h.warnings()).isEmpty();
    }

    @Test
    @DisplayName("Q-ATT-4: reuse takes the HWPT's flag, leaves dirty_pages_supported alone and never warns")
    void qAtt4_reuseTakesHwptFlag() {
        TestHost h = new TestHost().device("b", TestHost.PLAIN).device("a", TestHost.DIRTY);
        h.attach("b");
        h.calls();
        h.attach("a");
        assertThat(h.calls()).containsExactly("BIND=ok", "GET_HW_INFO=ok", "ATTACH=ok");
        assertThat(h.dev("a").iommuDirtyTracking()).isFalse();
        assertThat(h.dev("a").hostIommu().supportsDirtyTracking()).isTrue();
        assertThat(h.onlyContainer().dirtyPagesSupported()).isFalse();
        assertThat(h.warnings()).isEmpty();
    }

    @Test
    @DisplayName("Q-ATT-5: A (dirty) then B (plain): B gets its own HWPT and the warning, dirty_pages_supported stays true")
    void qAtt5_dirtyThenPlain() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN);
        h.attach("a");
        h.calls();
        h.attach("b");
        assertThat(h.calls()).containsExactly("BIND=ok", "GET_HW_INFO=ok", "ATTACH=EINVAL", "HWPT_ALLOC=ok", "ATTACH=ok");
        Snapshots.ContainerView c = h.onlyContainer();
        assertThat(c.hwpts()).extracting(hw -> hw.flags().toString() + hw.devices())
                .containsExactly("[][b]", "[DIRTY_TRACKING][a]");
        assertThat(c.dirtyPagesSupported()).isTrue();
        assertThat(h.dev("b").iommuDirtyTracking()).isFalse();
        assertThat(h.warnings()).containsExactly(WARN_B);
    }

    @Test
    @DisplayName("Q-ATT-5: B (plain) then A (dirty): A reuses B's HWPT, loses IOMMU dirty tracking, no warning at all")
    void qAtt5_plainThenDirty() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN);
        h.attach("b");
        h.attach("a");
        Snapshots.ContainerView c = h.onlyContainer();
        assertThat(c.hwpts()).singleElement().satisfies(hw -> {
            assertThat(hw.dirtyTracking()).isFalse();
            assertThat(hw.devices()).containsExactly("a", "b");
        });
        assertThat(c.dirtyPagesSupported()).isFalse();
        assertThat(h.dev("a").iommuDirtyTracking()).isFalse();
        assertThat(h.warnings()).isEmpty();
    }

    @Test
    @DisplayName("Q-ATT-6: with [H2{}, H1{DIRTY}] a dirty-capable device tries H2 first and stays there")
    void qAtt6_newestFirstPicksWorseHwpt() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN).device("c", TestHost.DIRTY);
        h.attach("a"); // H1{D}
        h.attach("b"); // H2{} (warning)
        Snapshots.ContainerView before = h.onlyContainer();
        int h2 = before.hwpts().get(0).id();
        h.calls();
        h.attach("c");
        List<BackendCall> calls = h.fullCalls();
        assertThat(calls).extracting(BackendCall::op).containsExactly(BackendOp.BIND, BackendOp.GET_HW_INFO, BackendOp.ATTACH);
        assertThat(calls.get(2).arguments()).endsWith("ptId " + h2);
        assertThat(h.dev("c").hwptId()).isEqualTo(h2);
        assertThat(h.dev("c").iommuDirtyTracking()).isFalse();
    }

    @Test
    @DisplayName("Q-ATT-7: EBUSY in the existing container is swallowed; a new container gets the device; C1 untouched")
    void qAtt7_containerFallbackOnEbusy() {
        TestHost h = new TestHost().withMemory().device("a", TestHost.DIRTY).device("d", TestHost.DIRTY);
        h.attach("a");
        Snapshots.ContainerView c1 = h.onlyContainer();
        h.calls();
        h.mock.failNth(BackendOp.ATTACH, 1, Errno.EBUSY);
        h.attach("d");
        assertThat(h.calls()).containsExactly("BIND=ok", "GET_HW_INFO=ok", "ATTACH=EBUSY", "IOAS_ALLOC=ok", "HWPT_ALLOC=ok",
                "ATTACH=ok", "IOAS_MAP=ok");
        List<Snapshots.ContainerView> cs = h.topology().containers();
        assertThat(cs).hasSize(2);
        assertThat(cs.get(0).devices()).containsExactly("d");
        assertThat(cs.get(0).hwpts()).singleElement().satisfies(hw -> assertThat(hw.devices()).containsExactly("d"));
        assertThat(cs.get(1)).isEqualTo(c1);
        assertThat(h.warnings()).isEmpty();
        h.assertBackendMatchesCore();
    }

    @Test
    @DisplayName("Q-ATT-7: a failure in the new container fails the attach; no plain IOAS attach is tried")
    void qAtt7_newContainerFailureFails() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY).device("d", TestHost.DIRTY);
        h.attach("a");
        h.calls();
        h.mock.failNth(BackendOp.ATTACH, 1, Errno.EBUSY);
        h.mock.failNth(BackendOp.HWPT_ALLOC, 1, Errno.ENOMEM);
        assertThatThrownBy(() -> h.attach("d")).isInstanceOfSatisfying(VfioException.class, e -> {
            assertThat(e.qemuMessage()).isEqualTo("Failed to allocate hwpt");
            assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
        });
        assertThat(h.calls()).containsExactly("BIND=ok", "GET_HW_INFO=ok", "ATTACH=EBUSY", "IOAS_ALLOC=ok",
                "HWPT_ALLOC=ENOMEM", "DESTROY=ok", "UNBIND=ok");
        assertThat(h.topology().containers()).hasSize(1);
        h.assertBackendMatchesCore();
    }

    @Test
    @DisplayName("Q-ATT-8: devices behind a vIOMMU get their own address space, container and HWPT")
    void qAtt8_viommuAddressSpaces() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY).device("v", TestHost.DIRTY);
        h.attach("a");
        h.vmm.attach(new DeviceConfig("v", "v", OnOffAuto.AUTO, OnOffAuto.ON, true));
        Snapshots.Topology t = h.topology();
        assertThat(t.addressSpaces()).hasSize(2);
        assertThat(t.containers()).hasSize(2);
        assertThat(t.device("a").ioasId()).isNotEqualTo(t.device("v").ioasId());
        assertThat(t.device("a").hwptId()).isNotEqualTo(t.device("v").hwptId());
    }

    @Test
    @DisplayName("Q-ATT-9: an mdev attaches straight to the IOAS: no HWPT, flag false, dirty_pages_supported untouched")
    void qAtt9_mdev() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY)
                .device(new DeviceSpec("m", TestHost.DIRTY, true, false, true, true));
        h.attach("a");
        Snapshots.ContainerView c = h.onlyContainer();
        h.calls();
        h.attach("m");
        List<BackendCall> calls = h.fullCalls();
        assertThat(calls).extracting(BackendCall::op).containsExactly(BackendOp.BIND, BackendOp.ATTACH);
        assertThat(calls.get(1).arguments()).endsWith("ptId " + c.ioasId());
        assertThat(h.dev("m").hwptId()).isNull();
        assertThat(h.dev("m").ioasId()).isEqualTo(c.ioasId());
        assertThat(h.dev("m").iommuDirtyTracking()).isFalse();
        assertThat(h.dev("m").hostIommu()).isNull();
        assertThat(h.onlyContainer().hwpts()).isEqualTo(c.hwpts());
        assertThat(h.onlyContainer().dirtyPagesSupported()).isTrue();
        assertThat(h.warnings()).isEmpty();
    }

    @Test
    @DisplayName("Q-ATT-10: a failure after joining an existing container leaves the container and its devices alone")
    void qAtt10_failureInExistingContainerKeepsIt() {
        TestHost h = new TestHost().withMemory().device("a", TestHost.DIRTY)
                .device(new DeviceSpec("b", TestHost.DIRTY, false, false, false, true));
        h.attach("a");
        Snapshots.Topology before = h.topology();
        // enable-migration=on with no migration support: realize fails after b joined a's HWPT (Q-MIG-2).
        assertThatThrownBy(() -> h.attach("b", OnOffAuto.ON)).isInstanceOfSatisfying(VfioException.class, e -> {
            assertThat(e.qemuMessage()).isEqualTo("b: VFIO migration is not supported in kernel");
            assertThat(e.errno()).isNull();
        });
        assertThat(h.topology().containers()).isEqualTo(before.containers());
        assertThat(h.dev("b").attached()).isFalse();
        h.assertBackendMatchesCore();
    }

    @Test
    @DisplayName("Q-ATT-10: the warning of Q-ATT-3 is printed for an attach that a later step rolls back; dirty_pages_supported is not rolled back")
    void qAtt10_warningThenRollback() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY)
                .device(new DeviceSpec("b", TestHost.PLAIN, false, false, false, true));
        h.attach("a");
        assertThatThrownBy(() -> h.attach("b", OnOffAuto.ON)).isInstanceOf(VfioException.class);
        assertThat(h.warnings()).containsExactly(WARN_B);
        assertThat(h.onlyContainer().hwpts()).hasSize(1);
        assertThat(h.onlyContainer().dirtyPagesSupported()).isTrue();
        h.assertBackendMatchesCore();
    }

    @Test
    @DisplayName("Q-ATT-11: a failed IOAS_MAP is remembered, the other sections are still mapped, then DETACH, DESTROY HWPT, unmap every section, DESTROY IOAS")
    void qAtt11_listenerMapFailure() {
        TestHost h = new TestHost().device("d0", TestHost.DIRTY);
        h.vmm.mapMemory(0x1000000, 0x400000);
        h.vmm.mapMemory(0x2000000, 0x100000);
        h.calls();
        h.mock.failNth(BackendOp.IOAS_MAP, 1, Errno.ENOMEM);
        assertThatThrownBy(() -> h.attach("d0")).isInstanceOfSatisfying(VfioException.class, e -> {
            assertThat(e.qemuMessage()).isEqualTo("memory listener initialization failed");
            assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
        });
        List<BackendCall> calls = h.fullCalls();
        assertThat(calls).extracting(c -> c.op() + "=" + (c.ok() ? "ok" : c.result().name())).containsExactly(
                "BIND=ok", "GET_HW_INFO=ok", "IOAS_ALLOC=ok", "HWPT_ALLOC=ok", "ATTACH=ok",
                "IOAS_MAP=ENOMEM", "IOAS_MAP=ok",
                "DETACH=ok", "DESTROY=ok", "IOAS_UNMAP=ENOENT", "IOAS_UNMAP=ok", "DESTROY=ok", "UNBIND=ok");
        assertThat(calls.get(5).args()).containsEntry("iova", "0x1000000");
        assertThat(calls.get(6).args()).containsEntry("iova", "0x2000000");
        assertThat(h.topology().containers()).isEmpty();
        assertThat(h.mock.liveObjects()).isEmpty();
    }

    @Test
    @DisplayName("Section 1, FlatView order: a new container maps guest memory in ascending address order, whatever order it was added in")
    void flatViewOrder() {
        TestHost h = new TestHost().device("d0", TestHost.DIRTY);
        h.vmm.mapMemory(0x2000000, 0x100000);
        h.vmm.mapMemory(0x1000000, 0x400000);
        h.calls();
        h.attach("d0");
        assertThat(h.fullCalls()).filteredOn(c -> c.op() == BackendOp.IOAS_MAP).extracting(c -> c.args().get("iova"))
                .containsExactly("0x1000000", "0x2000000");
        assertThat(h.vmm.memory()).extracting(io.github.iommufd4j.api.IovaRange::iova).containsExactly(0x1000000L, 0x2000000L);
    }
}
