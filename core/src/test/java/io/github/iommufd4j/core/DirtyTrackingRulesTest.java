package io.github.iommufd4j.core;

import io.github.iommufd4j.api.BackendCall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IovaRange;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Section 4 of docs/reference/qemu-rules.md on backend-mock. */
class DirtyTrackingRulesTest {
    private static final long M = TestHost.MEMORY_IOVA;
    private static final long PAGE = 4096;

    /** Two dirty-capable devices on two families give two dirty HWPTs in one container: [H_x{D}, H_a{D}]. */
    private static TestHost twoDirtyHwpts() {
        TestHost h = new TestHost().withMemory().device("a", TestHost.DIRTY).device("x", TestHost.OTHER_FAMILY);
        h.attach("a");
        h.attach("x");
        h.calls();
        return h;
    }

    private static int hwptOf(TestHost h, String device) {
        return h.dev(device).hwptId();
    }

    @Test
    @DisplayName("Q-DT-1: start/stop on a container without dirty_pages_supported succeed doing nothing")
    void qDt1_noDirtyPagesSupportedDoesNothing() {
        TestHost h = new TestHost().withMemory().device("b", TestHost.PLAIN);
        h.attach("b");
        h.calls();
        h.vmm.startDirtyTracking();
        h.vmm.stopDirtyTracking();
        assertThat(h.calls()).isEmpty();
    }

    @Test
    @DisplayName("Q-DT-1 / Q-EV-1: after a failed stop, qemu-9.1 starts the HWPT again (clearing its bits); qemu-10.0 skips it")
    void qDt1_idempotenceIsAProfileOption() {
        for (Profile p : List.of(Profile.QEMU_9_1, Profile.QEMU_10_0)) {
            TestHost h = new TestHost(p).withMemory().device("a", TestHost.DIRTY);
            h.attach("a");
            h.vmm.startDirtyTracking();
            h.mock.failNth(BackendOp.SET_DIRTY_TRACKING, 1, Errno.EIO);
            assertThatThrownBy(h.vmm::stopDirtyTracking).isInstanceOf(VfioException.class);
            h.mock.dmaWrite(h.vmm.devId("a"), M, PAGE); // tracking is still enabled in the HWPT (Q-DT-2)
            h.calls();
            h.vmm.startDirtyTracking();
            if (p == Profile.QEMU_9_1) {
                assertThat(h.calls()).as(p.name()).containsExactly("SET_DIRTY_TRACKING=ok");
                assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).as(p.name()).isEmpty(); // K-SDT-4
            } else {
                assertThat(h.calls()).as(p.name()).isEmpty();
                assertThat(h.onlyContainer().dirtyPagesStarted()).isTrue();
                assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).as(p.name())
                        .containsExactly(new IovaRange(M, PAGE));
            }
        }
    }

    @Test
    @DisplayName("Q-DT-7: a repeated start makes no call and succeeds in every profile, and the page written in between is reported")
    void qDt7_repeatedStartMakesNoCall() {
        for (Profile p : Profile.known()) {
            TestHost h = new TestHost(p).withMemory().device("a", TestHost.DIRTY);
            h.attach("a");
            h.vmm.startDirtyTracking();
            h.mock.dmaWrite(h.vmm.devId("a"), M, PAGE);
            h.calls();
            h.vmm.startDirtyTracking();
            assertThat(h.calls()).as(p.name()).isEmpty();
            assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).as(p.name()).containsExactly(new IovaRange(M, PAGE));
        }
    }

    @Test
    @DisplayName("Q-DT-7: a stop while tracking is not started fails with no call, also after a start that failed")
    void qDt7_stopWhileNotStartedFails() {
        for (Profile p : Profile.known()) {
            TestHost h = new TestHost(p).withMemory().device("a", TestHost.DIRTY);
            h.attach("a");
            h.calls();
            assertThatThrownBy(h.vmm::stopDirtyTracking).as(p.name()).isInstanceOfSatisfying(VfioException.class, e -> {
                assertThat(e.qemuMessage()).isEqualTo("dirty tracking is not started");
                assertThat(e.errno()).isNull();
            });
            assertThat(h.calls()).as(p.name()).isEmpty();
            h.mock.failNth(BackendOp.SET_DIRTY_TRACKING, 1, Errno.ENOMEM);
            assertThatThrownBy(h.vmm::startDirtyTracking).isInstanceOf(VfioException.class);
            h.calls();
            assertThatThrownBy(h.vmm::stopDirtyTracking).as(p.name()).isInstanceOf(VfioException.class)
                    .hasMessage("dirty tracking is not started");
            assertThat(h.calls()).as(p.name()).isEmpty();
        }
    }

    @Test
    @DisplayName("Q-DT-6: start goes over the containers oldest first, stop newest first")
    void qDt6_stopInReverseListenerOrder() {
        TestHost h = new TestHost().withMemory().device("d0", TestHost.DIRTY)
                .device(new DeviceSpec("d1", TestHost.PLAIN, false, true, true, true));
        h.attach("d0");
        h.vmm.attach(new DeviceConfig("d1", "d1", OnOffAuto.AUTO, OnOffAuto.ON, true)); // behind a vIOMMU: its own container
        h.calls();
        h.vmm.startDirtyTracking();
        assertThat(h.calls()).containsExactly("SET_DIRTY_TRACKING=ok", "DMA_LOGGING_START=ok");
        h.vmm.stopDirtyTracking();
        assertThat(h.calls()).containsExactly("DMA_LOGGING_STOP=ok", "SET_DIRTY_TRACKING=ok");
    }

    @Test
    @DisplayName("Section 7: a failed DMA logging stop warns with the negative errno and strerror's text")
    void dmaLoggingStopWarningText() {
        TestHost h = new TestHost().withMemory().device(new DeviceSpec("v", TestHost.PLAIN, false, true, true, true));
        h.attach("v");
        h.vmm.startDirtyTracking();
        h.mock.failNth(BackendOp.DMA_LOGGING_STOP, 1, Errno.EIO);
        h.vmm.stopDirtyTracking();
        assertThat(h.warnings()).containsExactly("v: Failed to stop DMA logging, err -5 (Input/output error)");
        assertThat(h.dev("v").dmaLoggingStarted()).isFalse();
    }

    @Test
    @DisplayName("Q-DT-2: SET_DIRTY_TRACKING on dirty-tracking HWPTs only, newest first")
    void qDt2_onlyDirtyHwptsNewestFirst() {
        TestHost h = new TestHost().withMemory().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN)
                .device("x", TestHost.OTHER_FAMILY);
        h.attach("a"); // H_a{D}
        h.attach("b"); // H_b{}
        h.attach("x"); // H_x{D}
        h.calls();
        h.vmm.startDirtyTracking();
        assertThat(h.fullCalls()).extracting(BackendCall::arguments)
                .containsExactly("hwptId " + hwptOf(h, "x") + ", enable true", "hwptId " + hwptOf(h, "a") + ", enable true");
    }

    @Test
    @DisplayName("Q-DT-2: the example: [H3{D}, H2{}, H1{D}], SET(H1) fails: SET(H3,on), SET(H1,on) fails, SET(H3,off), SET(H1,off)")
    void qDt2_rollbackExample() {
        TestHost h = new TestHost().withMemory().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN)
                .device("x", TestHost.OTHER_FAMILY);
        h.attach("a");
        h.attach("b");
        h.attach("x");
        int h1 = hwptOf(h, "a");
        int h3 = hwptOf(h, "x");
        h.calls();
        h.mock.failNth(BackendOp.SET_DIRTY_TRACKING, 2, Errno.ENOMEM);
        assertThatThrownBy(h.vmm::startDirtyTracking).isInstanceOfSatisfying(VfioException.class, e -> {
            assertThat(e.qemuMessage()).isEqualTo("vfio: Could not start dirty page tracking - "
                    + "IOMMU_HWPT_SET_DIRTY_TRACKING(hwpt_id " + h1 + ") failed");
            assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
        });
        assertThat(h.fullCalls()).extracting(c -> c.arguments() + "=" + (c.ok() ? "ok" : c.result().name()))
                .containsExactly("hwptId " + h3 + ", enable true=ok", "hwptId " + h1 + ", enable true=ENOMEM",
                        "hwptId " + h3 + ", enable false=ok", "hwptId " + h1 + ", enable false=ok");
        assertThat(h.vmm.dirtyTrackingStarted()).isFalse();
        assertThat(h.onlyContainer().loggingStarted()).isFalse();
    }

    @Test
    @DisplayName("Q-DT-2: a failed stop leaves every dirty HWPT enabled and reports the stop prefix")
    void qDt2_failedStopLeavesEnabled() {
        TestHost h = twoDirtyHwpts();
        h.vmm.startDirtyTracking();
        h.calls();
        h.mock.failNth(BackendOp.SET_DIRTY_TRACKING, 1, Errno.EIO);
        assertThatThrownBy(h.vmm::stopDirtyTracking).isInstanceOfSatisfying(VfioException.class, e ->
                assertThat(e.qemuMessage()).startsWith("vfio: Could not stop dirty page tracking - IOMMU_HWPT_SET_DIRTY_TRACKING(hwpt_id "));
        assertThat(h.fullCalls()).extracting(BackendCall::arguments).containsExactly(
                "hwptId " + hwptOf(h, "x") + ", enable false", "hwptId " + hwptOf(h, "x") + ", enable true", "hwptId " + hwptOf(h, "a") + ", enable true");
        // tracking still on in the kernel: a DMA is recorded in the HWPT
        assertThat(h.mock.dmaWrite(h.vmm.devId("a"), M, PAGE)).isPositive();
    }

    @Test
    @DisplayName("Q-DT-3: one buffer OR-ed across two dirty HWPTs, newest first, with the kernel's bit layout")
    void qDt3_orAcrossHwpts() {
        TestHost h = twoDirtyHwpts();
        h.vmm.startDirtyTracking();
        h.mock.dmaWrite(h.vmm.devId("a"), M, PAGE);                  // page 0
        h.mock.dmaWrite(h.vmm.devId("x"), M + 65 * PAGE, 2 * PAGE);  // pages 65, 66 (second word)
        h.calls();
        VfioIommufd.SyncResult r = h.vmm.sync(M, TestHost.MEMORY_LENGTH);
        assertThat(r.failure()).isNull();
        assertThat(r.dirtyRuns()).containsExactly(new IovaRange(M, PAGE), new IovaRange(M + 65 * PAGE, 2 * PAGE));
        assertThat(h.fullCalls()).extracting(BackendCall::arguments).containsExactly(
                "hwptId " + hwptOf(h, "x") + ", iova 0x1000000, length 0x400000, pageSize 4096, noClear false",
                "hwptId " + hwptOf(h, "a") + ", iova 0x1000000, length 0x400000, pageSize 4096, noClear false");
        // the kernel cleared what it reported
        assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).isEmpty();
    }

    @Test
    @DisplayName("Q-DT-3: the first failure aborts with the GET_DIRTY_BITMAP text; bits read from earlier HWPTs are lost")
    void qDt3_firstFailureAborts() {
        TestHost h = twoDirtyHwpts();
        h.vmm.startDirtyTracking();
        h.mock.dmaWrite(h.vmm.devId("x"), M, PAGE);
        h.mock.failNth(BackendOp.GET_DIRTY_BITMAP, 2, Errno.EIO);
        VfioIommufd.SyncResult r = h.vmm.sync(M, TestHost.MEMORY_LENGTH);
        assertThat(r.failure()).isNotNull();
        assertThat(r.failure().qemuMessage()).isEqualTo("IOMMU_HWPT_GET_DIRTY_BITMAP (iova: 0x1000000 size: 0x400000) failed");
        assertThat(r.failure().errno()).isEqualTo(Errno.EIO);
        assertThat(r.dirtyRuns()).isEmpty();
        assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).as("read and cleared by the aborted query").isEmpty();
    }

    @Test
    @DisplayName("Q-DT-4 row A true: VF DMA logging on every device, dirty HWPTs stay idle")
    void qDt4_deviceTracking() {
        TestHost h = new TestHost().withMemory()
                .device(new DeviceSpec("v1", TestHost.DIRTY, false, true, true, true))
                .device(new DeviceSpec("v2", TestHost.PLAIN, false, true, true, true));
        h.attach("v1");
        h.attach("v2");
        h.calls();
        h.vmm.startDirtyTracking();
        assertThat(h.calls()).containsExactly("DMA_LOGGING_START=ok", "DMA_LOGGING_START=ok");
        h.mock.dmaWrite(h.vmm.devId("v2"), M + PAGE, PAGE);
        VfioIommufd.SyncResult r = h.vmm.sync(M, TestHost.MEMORY_LENGTH);
        assertThat(h.calls()).containsExactly("DMA_LOGGING_REPORT=ok", "DMA_LOGGING_REPORT=ok");
        assertThat(r.dirtyRuns()).containsExactly(new IovaRange(M + PAGE, PAGE));
        h.vmm.stopDirtyTracking();
        assertThat(h.calls()).containsExactly("DMA_LOGGING_STOP=ok", "DMA_LOGGING_STOP=ok");
    }

    @Test
    @DisplayName("Q-DT-8: DMA logging starts with one range over the sections below 4 GiB and one over those above, holes"
            + " included (measured on QEMU 10.0.2: one range [0x0, +0x100000000) for -m 128M)")
    void qDt8_dmaLoggingRanges() {
        // QEMU's five sections at -m 128M: one range from 0 to the firmware's end at 4 GiB.
        assertThat(DirtyTracking.dmaLoggingRanges(List.of(new IovaRange(0, 0xc0000), new IovaRange(0xc0000, 0x20000),
                new IovaRange(0xe0000, 0x20000), new IovaRange(0x100000, 0x7f00000), new IovaRange(0xfffc0000L, 0x40000))))
                .containsExactly(new IovaRange(0, 0x100000000L));
        // Two sections below 4 GiB and two above, the highest first: [min32, max32] and [min64, max64].
        assertThat(DirtyTracking.dmaLoggingRanges(List.of(new IovaRange(0x200000000L, 0x1000),
                new IovaRange(0x1000000, 0x400000), new IovaRange(0x100000000L, 0x2000), new IovaRange(0x2000000, 0x1000))))
                .containsExactly(new IovaRange(0x1000000, 0x1001000), new IovaRange(0x100000000L, 0x100001000L));
        assertThat(DirtyTracking.dmaLoggingRanges(List.of())).isEmpty();

        TestHost h = new TestHost().device(new DeviceSpec("v1", TestHost.DIRTY, false, true, true, true));
        h.vmm.mapMemory(0x1000000, 0x400000);
        h.vmm.mapMemory(0x2000000, 0x100000);
        h.attach("v1");
        h.calls();
        h.vmm.startDirtyTracking();
        assertThat(h.fullCalls()).singleElement().satisfies(c -> assertThat(c.args()).containsEntry("ranges", 1));
        h.mock.dmaWrite(h.vmm.devId("v1"), 0x1800000, PAGE); // in the hole between the two sections: logged, not synced
        h.mock.dmaWrite(h.vmm.devId("v1"), 0x2000000, PAGE);
        assertThat(h.vmm.syncAllMemory().dirtyRuns()).containsExactly(new IovaRange(0x2000000, PAGE));
    }

    @Test
    @DisplayName("Q-EV-7: under qemu-10.0 a container without a started tracker is never synced, so no perpetual dirty"
            + " (measured on QEMU 10.0.2); qemu-9.1 reports the whole range")
    void qEv7_noSyncWithoutAStartedTracker() {
        for (Profile p : List.of(Profile.QEMU_9_1, Profile.QEMU_10_0)) {
            TestHost h = new TestHost(p).withMemory().device("n", TestHost.PLAIN);
            h.attach("n", OnOffAuto.ON); // Q-MIG-3 only warns: no tracker, migration allowed
            h.calls();
            h.vmm.startDirtyTracking();
            h.mock.dmaWrite(h.vmm.devId("n"), M, PAGE);
            VfioIommufd.SyncResult r = h.vmm.syncAllMemory();
            assertThat(h.calls()).as(p.name()).isEmpty();
            assertThat(r.dirtyRuns()).as(p.name()).isEqualTo(p == Profile.QEMU_9_1
                    ? List.of(new IovaRange(M, TestHost.MEMORY_LENGTH)) : List.of());
        }
    }

    @Test
    @DisplayName("Q-EV-7: under qemu-10.0 a container is synced once dirty_pages_started, or once every device logs DMA")
    void qEv7_startedTrackersAreSynced() {
        TestHost iommu = new TestHost(Profile.QEMU_10_0).withMemory().device("a", TestHost.DIRTY)
                .device("b", TestHost.PLAIN);
        iommu.attach("a");
        iommu.attach("b");
        iommu.vmm.startDirtyTracking();
        iommu.calls();
        iommu.mock.dmaWrite(iommu.vmm.devId("a"), M, PAGE);
        assertThat(iommu.vmm.syncAllMemory().dirtyRuns()).containsExactly(new IovaRange(M, PAGE));
        assertThat(iommu.calls()).containsExactly("GET_DIRTY_BITMAP=ok");

        TestHost vf = new TestHost(Profile.QEMU_10_0).withMemory()
                .device(new DeviceSpec("v", TestHost.PLAIN, false, true, true, true));
        vf.attach("v");
        vf.vmm.startDirtyTracking();
        vf.mock.dmaWrite(vf.vmm.devId("v"), M, PAGE);
        assertThat(vf.vmm.syncAllMemory().dirtyRuns()).containsExactly(new IovaRange(M, PAGE));
    }

    @Test
    @DisplayName("Q-DT-4 row A false, dirty_pages_supported: IOMMU tracking; devices on other HWPTs are not tracked")
    void qDt4_iommuTracking() {
        TestHost h = new TestHost().withMemory().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN);
        h.attach("a");
        h.attach("b");
        h.calls();
        h.vmm.startDirtyTracking();
        assertThat(h.calls()).containsExactly("SET_DIRTY_TRACKING=ok");
        h.mock.dmaWrite(h.vmm.devId("b"), M, PAGE);
        h.mock.dmaWrite(h.vmm.devId("a"), M + PAGE, PAGE);
        assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).containsExactly(new IovaRange(M + PAGE, PAGE));
        assertThat(h.calls()).containsExactly("GET_DIRTY_BITMAP=ok");
    }

    @Test
    @DisplayName("Q-DT-4 row A false, no dirty_pages_supported: no tracker, every sync marks the whole range dirty")
    void qDt4_perpetualDirty() {
        TestHost h = new TestHost().withMemory().device("b", TestHost.PLAIN);
        h.attach("b");
        h.vmm.startDirtyTracking();
        h.calls();
        assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).containsExactly(new IovaRange(M, TestHost.MEMORY_LENGTH));
        assertThat(h.calls()).isEmpty();
    }

    @Test
    @DisplayName("Q-DT-4: x-device-dirty-page-tracking=off on one device turns predicate A false")
    void qDt4_deviceTrackingOff() {
        TestHost h = new TestHost().withMemory().device(new DeviceSpec("v1", TestHost.DIRTY, false, true, true, true));
        h.vmm.attach(new DeviceConfig("v1", "v1", io.github.iommufd4j.core.OnOffAuto.AUTO,
                io.github.iommufd4j.core.OnOffAuto.OFF, false));
        h.calls();
        h.vmm.startDirtyTracking();
        assertThat(h.calls()).containsExactly("SET_DIRTY_TRACKING=ok");
    }

    @Test
    @DisplayName("Q-DT-4: a DMA logging start failing on the second device stops the first and fails the start")
    void qDt4_dmaLoggingStartRollback() {
        TestHost h = new TestHost().withMemory()
                .device(new DeviceSpec("v1", TestHost.PLAIN, false, true, true, true))
                .device(new DeviceSpec("v2", TestHost.PLAIN, false, true, true, true));
        h.attach("v1");
        h.attach("v2");
        h.calls();
        h.mock.failNth(BackendOp.DMA_LOGGING_START, 2, Errno.ENOMEM);
        assertThatThrownBy(h.vmm::startDirtyTracking).isInstanceOfSatisfying(VfioException.class, e -> {
            assertThat(e.qemuMessage()).isEqualTo("vfio: Could not start dirty page tracking - v1: Failed to start DMA logging");
            assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
        });
        assertThat(h.calls()).containsExactly("DMA_LOGGING_START=ok", "DMA_LOGGING_START=ENOMEM", "DMA_LOGGING_STOP=ok");
        assertThat(h.topology().devices()).noneMatch(Snapshots.DeviceView::dmaLoggingStarted);
    }

    @Test
    @DisplayName("Q-DT-5 sticky flag: after the dirty device leaves, start does nothing and syncs report nothing")
    void qDt5_stickyFlagLosesPages() {
        TestHost h = new TestHost().withMemory().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN);
        h.attach("a");
        h.attach("b");
        h.vmm.detach("a");
        h.calls();
        h.vmm.startDirtyTracking();
        assertThat(h.calls()).isEmpty();
        h.mock.dmaWrite(h.vmm.devId("b"), M, 4 * PAGE);
        assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).isEmpty();
    }

    @Test
    @DisplayName("Q-DT-5 mixed container: VF-tracked B on a non-dirty HWPT is never read, its VF logging never started")
    void qDt5_mixedContainerLosesPages() {
        TestHost h = new TestHost().withMemory().device(new DeviceSpec("a", TestHost.DIRTY, false, false, true, true))
                .device(new DeviceSpec("b", TestHost.PLAIN, false, true, true, true));
        h.attach("a");
        h.attach("b");
        assertThat(h.dev("a").migration().allowed()).isTrue();
        assertThat(h.dev("b").migration().allowed()).isTrue();
        h.calls();
        h.vmm.startDirtyTracking();
        assertThat(h.calls()).containsExactly("SET_DIRTY_TRACKING=ok");
        h.mock.dmaWrite(h.vmm.devId("b"), M, PAGE);
        assertThat(h.vmm.sync(M, TestHost.MEMORY_LENGTH).dirtyRuns()).isEmpty();
        assertThat(h.warnings()).containsExactly("IOMMU instance for device b doesn't support dirty tracking");
    }

    @Test
    @DisplayName("Q-HP-1: no device_add and no device_del while a migration runs: no call, errno null, QEMU's texts")
    void qHp1_noHotPlugWhileMigrating() {
        for (Profile p : Profile.known()) {
            TestHost h = new TestHost(p).withMemory().device("a", TestHost.DIRTY).device("v", TestHost.DIRTY);
            h.attach("a");
            h.vmm.startDirtyTracking();
            h.calls();
            assertThatThrownBy(() -> h.attach("v")).as(p.name()).isInstanceOfSatisfying(VfioException.class, e -> {
                assertThat(e.qemuMessage()).isEqualTo("device_add not allowed while migrating");
                assertThat(e.errno()).isNull();
            });
            assertThatThrownBy(() -> h.vmm.detach("a")).as(p.name()).isInstanceOfSatisfying(VfioException.class, e -> {
                assertThat(e.qemuMessage()).isEqualTo("device_del not allowed while migrating");
                assertThat(e.errno()).isNull();
            });
            assertThat(h.calls()).as(p.name()).isEmpty();
            assertThat(h.topology().devices()).extracting(Snapshots.DeviceView::name).containsExactly("a");
            assertThat(h.dev("a").attached()).isTrue();
        }
    }

    @Test
    @DisplayName("Q-HP-1 / Q-DT-7: a device with running DMA logging stays through the migration; after it, detach sends no DMA_LOGGING_STOP")
    void qDt7_unplugNeverStopsDmaLogging() {
        TestHost h = new TestHost().withMemory().device(new DeviceSpec("d0", TestHost.PLAIN, false, true, true, true));
        h.attach("d0");
        h.vmm.startDirtyTracking();
        h.calls();
        assertThatThrownBy(() -> h.vmm.detach("d0")).hasMessage("device_del not allowed while migrating");
        assertThat(h.calls()).isEmpty();
        h.vmm.stopDirtyTracking();
        assertThat(h.calls()).containsExactly("DMA_LOGGING_STOP=ok");
        h.vmm.detach("d0");
        assertThat(h.calls()).doesNotContain("DMA_LOGGING_STOP=ok");
    }
}
