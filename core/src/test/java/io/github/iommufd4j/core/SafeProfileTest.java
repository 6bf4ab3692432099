package io.github.iommufd4j.core;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IovaRange;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Each deviation of the {@code safe} profile (docs/profiles.md), next to what qemu-9.1 does. */
class SafeProfileTest {
    private static final long M = TestHost.MEMORY_IOVA;
    private static final long P = 4096;

    private static TestHost safe() {
        return new TestHost(Profile.SAFE).withMemory();
    }

    private static List<IovaRange> reportedBy(TestHost h) {
        List<IovaRange> out = new ArrayList<>();
        h.vmm.addDirtyListener(r -> out.add(r.range()));
        return out;
    }

    @Test
    @DisplayName("safe vs Q-ATT-5: plain then dirty-capable: the capable device gets its own DIRTY_TRACKING HWPT")
    void placementIgnoresOrder() {
        TestHost h = safe().device("b", TestHost.PLAIN).device("a", TestHost.DIRTY);
        h.attach("b");
        h.calls();
        h.attach("a");
        assertThat(h.calls()).containsExactly("BIND=ok", "GET_HW_INFO=ok", "HWPT_ALLOC=ok", "ATTACH=ok");
        assertThat(h.dev("a").iommuDirtyTracking()).isTrue();
        assertThat(h.onlyContainer().dirtyPagesSupported()).isTrue();
        assertThat(h.warnings()).containsExactly("IOMMU instance for device b doesn't support dirty tracking");
    }

    @Test
    @DisplayName("safe vs Q-ATT-6: with [H2{}, H1{DIRTY}] a dirty-capable device joins H1")
    void placementPrefersDirtyHwpt() {
        TestHost h = safe().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN).device("c", TestHost.DIRTY);
        h.attach("a");
        h.attach("b");
        h.attach("c");
        assertThat(h.dev("c").hwptId()).isEqualTo(h.dev("a").hwptId());
        assertThat(h.dev("c").iommuDirtyTracking()).isTrue();
    }

    @Test
    @DisplayName("safe vs Q-DET-3: dirty_pages_supported follows the live HWPTs, so the sticky-flag loss becomes perpetual dirty")
    void liveDirtyPagesSupported() {
        TestHost h = safe().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN);
        List<IovaRange> reported = reportedBy(h);
        h.attach("a");
        h.attach("b");
        h.vmm.detach("a");
        assertThat(h.onlyContainer().dirtyPagesSupported()).isFalse();
        h.vmm.startDirtyTracking();
        h.mock.dmaWrite(h.vmm.devId("b"), M, P);
        h.vmm.sync(M, TestHost.MEMORY_LENGTH);
        assertThat(reported).containsExactly(new IovaRange(M, TestHost.MEMORY_LENGTH));
    }

    @Test
    @DisplayName("safe vs Q-DT-5 mixed container: VF logging starts on the device no dirty HWPT sees, and is read")
    void mixedContainerCovered() {
        TestHost h = safe().device(new DeviceSpec("a", TestHost.DIRTY, false, false, true, true))
                .device(new DeviceSpec("b", TestHost.PLAIN, false, true, true, true));
        h.attach("a");
        h.attach("b");
        h.calls();
        h.vmm.startDirtyTracking();
        assertThat(h.calls()).containsExactly("SET_DIRTY_TRACKING=ok", "DMA_LOGGING_START=ok");
        h.mock.dmaWrite(h.vmm.devId("a"), M, P);
        h.mock.dmaWrite(h.vmm.devId("b"), M + 4 * P, P);
        VfioIommufd.SyncResult r = h.vmm.sync(M, TestHost.MEMORY_LENGTH);
        assertThat(r.dirtyRuns()).containsExactly(new IovaRange(M, P), new IovaRange(M + 4 * P, P));
        assertThat(h.calls()).containsExactly("GET_DIRTY_BITMAP=ok", "DMA_LOGGING_REPORT=ok");
        h.vmm.stopDirtyTracking();
        assertThat(h.topology().devices()).noneMatch(Snapshots.DeviceView::dmaLoggingStarted);
    }

    @Test
    @DisplayName("safe: a device no tracker can see makes its container perpetually dirty")
    void uncoveredDeviceIsPerpetualDirty() {
        TestHost h = safe().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN);
        h.attach("a");
        h.attach("b");
        h.vmm.startDirtyTracking();
        h.calls();
        VfioIommufd.SyncResult r = h.vmm.sync(M, TestHost.MEMORY_LENGTH);
        assertThat(r.dirtyRuns()).containsExactly(new IovaRange(M, TestHost.MEMORY_LENGTH));
        assertThat(h.calls()).isEmpty();
    }

    @Test
    @DisplayName("safe vs Q-DT-3: a failed query still reports the bits read before the failure; what failed keeps its bits for the next sync")
    void failedQueryKeepsBits() {
        TestHost h = safe().device("a", TestHost.DIRTY).device("x", TestHost.OTHER_FAMILY);
        h.attach("a");
        h.attach("x"); // HWPTs [H_x{D}, H_a{D}]: H_x is read first
        h.vmm.startDirtyTracking();
        h.mock.dmaWrite(h.vmm.devId("x"), M, P);
        h.mock.dmaWrite(h.vmm.devId("a"), M + P, P);
        h.calls();
        h.mock.failNth(BackendOp.GET_DIRTY_BITMAP, 2, Errno.EIO); // H_a's read
        VfioIommufd.SyncResult r = h.vmm.sync(M, TestHost.MEMORY_LENGTH);
        assertThat(r.failure()).isNotNull();
        assertThat(r.dirtyRuns()).containsExactly(new IovaRange(M, P));
        assertThat(h.calls()).containsExactly("GET_DIRTY_BITMAP=ok", "GET_DIRTY_BITMAP=EIO");
        assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).as("H_a's page, once; H_x's is not reported twice")
                .containsExactly(new IovaRange(M + P, P));
    }

    @Test
    @DisplayName("safe vs Q-DT-3: a failure on the first read clears nothing, so the next sync reports the page")
    void failedFirstReadLosesNothing() {
        TestHost h = safe().device("a", TestHost.DIRTY);
        h.attach("a");
        h.vmm.startDirtyTracking();
        h.mock.dmaWrite(h.vmm.devId("a"), M, P);
        h.mock.failNth(BackendOp.GET_DIRTY_BITMAP, 1, Errno.EIO);
        assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).isEmpty();
        assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).containsExactly(new IovaRange(M, P));
    }

    @Test
    @DisplayName("qemu-9.1 for contrast: the same failure loses the page for good (Q-DT-3)")
    void qemuFailedQueryLosesPage() {
        TestHost h = new TestHost().withMemory().device("a", TestHost.DIRTY).device("x", TestHost.OTHER_FAMILY);
        h.attach("a");
        h.attach("x");
        h.vmm.startDirtyTracking();
        h.mock.dmaWrite(h.vmm.devId("x"), M, P);
        h.mock.failNth(BackendOp.GET_DIRTY_BITMAP, 2, Errno.EIO);
        assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).isEmpty();
        assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).isEmpty();
    }

    @Test
    @DisplayName("safe: stop flushes first, so a write between the last sync and the stop is reported")
    void stopFlushes() {
        TestHost h = safe().device("a", TestHost.DIRTY);
        List<IovaRange> reported = reportedBy(h);
        h.attach("a");
        h.vmm.startDirtyTracking();
        h.mock.dmaWrite(h.vmm.devId("a"), M + 2 * P, P);
        h.calls();
        h.vmm.stopDirtyTracking();
        assertThat(h.calls()).containsExactly("GET_DIRTY_BITMAP=ok", "SET_DIRTY_TRACKING=ok");
        assertThat(reported).containsExactly(new IovaRange(M + 2 * P, P));
    }

    @Test
    @DisplayName("safe: the stop that ends a migration does not flush: the final sync ran with the devices stopped")
    void stopAfterMigrationDoesNotFlush() {
        TestHost h = safe().device("a", TestHost.DIRTY);
        h.attach("a");
        h.vmm.startDirtyTracking();
        h.vmm.syncAllMemory();
        h.calls();
        h.vmm.stopDirtyTrackingAfterMigration();
        assertThat(h.calls()).containsExactly("SET_DIRTY_TRACKING=ok");
        assertThat(h.vmm.dirtyTrackingStarted()).isFalse();
        assertThatThrownBy(h.vmm::stopDirtyTrackingAfterMigration).hasMessage("dirty tracking is not started");
    }

    @Test
    @DisplayName("safe: a failed flush keeps tracking on")
    void failedFlushKeepsTracking() {
        TestHost h = safe().device("a", TestHost.DIRTY);
        h.attach("a");
        h.vmm.startDirtyTracking();
        h.mock.failNth(BackendOp.GET_DIRTY_BITMAP, 1, Errno.EIO);
        assertThatThrownBy(h.vmm::stopDirtyTracking).isInstanceOf(VfioException.class);
        assertThat(h.vmm.dirtyTrackingStarted()).isTrue();
        assertThat(h.onlyContainer().loggingStarted()).isTrue();
    }

    @Test
    @DisplayName("safe: guest memory cannot grow during a session (DMA logging ranges are fixed at start)")
    void noMapDuringSession() {
        TestHost h = safe().device("a", TestHost.DIRTY);
        h.attach("a");
        h.vmm.startDirtyTracking();
        h.calls();
        assertThatThrownBy(() -> h.vmm.mapMemory(0x2000000, 0x200000)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot grow during a dirty-tracking session");
        assertThat(h.calls()).isEmpty();
    }
}
