package io.github.iommufd4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Section 3 of docs/reference/qemu-rules.md on backend-mock. */
class DetachRulesTest {

    @Test
    @DisplayName("Q-DET-1: the last device of a HWPT frees it; the last of a container destroys the IOAS; the space goes")
    void qDet1_freesEmptyHwptAndContainer() {
        TestHost h = new TestHost().withMemory().device("a", TestHost.DIRTY).device("b", TestHost.DIRTY);
        h.attach("a");
        h.attach("b"); // reuses a's HWPT
        h.calls();
        h.vmm.detach("b");
        assertThat(h.calls()).containsExactly("DETACH=ok", "UNBIND=ok");
        assertThat(h.onlyContainer().hwpts()).singleElement().satisfies(hw -> assertThat(hw.devices()).containsExactly("a"));
        h.vmm.detach("a");
        assertThat(h.calls()).containsExactly("DETACH=ok", "DESTROY=ok", "IOAS_UNMAP=ok", "DESTROY=ok", "UNBIND=ok");
        assertThat(h.topology().addressSpaces()).isEmpty();
        assertThat(h.dev("a").attached()).isFalse();
        assertThat(h.dev("a").hwptId()).isNull();
        assertThat(h.mock.liveObjects()).isEmpty();
    }

    @Test
    @DisplayName("Q-DET-1: a HWPT still used by another device stays, in its place in the list")
    void qDet1_hwptWithDevicesStays() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN).device("c", TestHost.DIRTY);
        h.attach("a");
        h.attach("b");
        h.attach("c"); // lands on b's HWPT (newest first)
        h.vmm.detach("b");
        assertThat(h.onlyContainer().hwpts()).extracting(hw -> hw.devices().toString())
                .containsExactly("[c]", "[a]");
        h.assertBackendMatchesCore();
    }

    @Test
    @DisplayName("Q-DET-2: a DETACH failure is reported, not fatal: the bookkeeping goes on")
    void qDet2_detachFailureIsNotFatal() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY);
        h.attach("a");
        int hwpt = h.dev("a").hwptId();
        int ioas = h.dev("a").ioasId();
        h.calls();
        h.mock.failNth(BackendOp.DETACH, 1, Errno.EIO);
        h.vmm.detach("a");
        assertThat(h.calls()).startsWith("DETACH=EIO");
        assertThat(h.diagnostics).anySatisfy(d -> {
            assertThat(d.level()).isEqualTo(Diagnostic.Level.ERROR);
            assertThat(d.text()).contains("detach a").contains("EIO");
        });
        assertThat(h.topology().containers()).isEmpty();
        assertThat(h.dev("a").attached()).isFalse();
        // The kernel still had the device on the HWPT: both destroys got EBUSY and QEMU never retries them.
        assertThat(h.topology().orphans()).extracting(Object::toString).containsExactly("HWPT " + hwpt, "IOAS " + ioas);
        assertThat(h.mock.liveObjects()).extracting(Object::toString).containsExactlyInAnyOrder("HWPT " + hwpt, "IOAS " + ioas);
    }

    @Test
    @DisplayName("Q-DET-2 under safe: the objects a failed DETACH left behind are destroyed once the device is unbound")
    void qDet2_safeReclaimsOrphans() {
        TestHost h = new TestHost(Profile.SAFE).device("a", TestHost.DIRTY);
        h.attach("a");
        h.mock.failNth(BackendOp.DETACH, 1, Errno.EIO);
        h.vmm.detach("a");
        assertThat(h.topology().orphans()).isEmpty();
        assertThat(h.mock.liveObjects()).isEmpty();
    }

    @Test
    @DisplayName("Q-DET-3: dirty_pages_supported is sticky after the dirty HWPT is freed; iommu_dirty_tracking stays stale")
    void qDet3_stickyDirtyPagesSupported() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN);
        h.attach("a");
        h.attach("b");
        h.vmm.detach("a");
        Snapshots.ContainerView c = h.onlyContainer();
        assertThat(c.hwpts()).singleElement().satisfies(hw -> assertThat(hw.dirtyTracking()).isFalse());
        assertThat(c.dirtyPagesSupported()).isTrue();
        assertThat(h.dev("a").iommuDirtyTracking()).isTrue();
        assertThat(h.dev("a").attached()).isFalse();
    }

    @Test
    @DisplayName("Q-DET-3: only destroying the container clears dirty_pages_supported")
    void qDet3_newContainerStartsFalse() {
        TestHost h = new TestHost().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN);
        h.attach("a");
        h.vmm.detach("a");
        h.attach("b");
        assertThat(h.onlyContainer().dirtyPagesSupported()).isFalse();
        assertThat(h.warnings()).isEmpty();
    }
}
