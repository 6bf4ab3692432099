package io.github.iommufd4j.core;

import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Section 4 of {@code docs/reference/qemu-rules.md}: starting and stopping a container's tracker (Q-DT-1, Q-DT-2,
 * device DMA logging) and querying it (Q-DT-3), with the texts of section 7. Which tracker a container uses is
 * the profile's {@link TrackerChoice} (Q-DT-4); this class holds the calls each choice is made of.
 */
final class DirtyTracking {
    static final String START_PREFIX = "vfio: Could not start dirty page tracking - ";
    static final String STOP_PREFIX = "vfio: Could not stop dirty page tracking - ";

    private final IommufdBackend backend;
    private final TrackerChoice tracker;
    private final StartStopGuard guard;
    private final long pageSize;
    private final Supplier<List<IovaRange>> memory;
    private final Consumer<Diagnostic> diagnostics;

    DirtyTracking(IommufdBackend backend, Profile profile, long pageSize, Supplier<List<IovaRange>> memory,
                  Consumer<Diagnostic> diagnostics) {
        this.backend = backend;
        this.tracker = profile.tracker();
        this.guard = profile.startStopGuard();
        this.pageSize = pageSize;
        this.memory = memory;
        this.diagnostics = diagnostics;
    }

    /**
     * Q-DT-4 predicate A: every device has VF dirty tracking and {@code x-device-dirty-page-tracking != off}
     * (true for no device).
     */
    static boolean allDeviceDirtyTracking(List<VfioDevice> devices) {
        for (VfioDevice d : devices) {
            if (!canLog(d)) {
                return false;
            }
        }
        return true;
    }

    /**
     * QEMU's {@code vfio_container_dirty_tracking_is_started} (10.0 on): every device of the container runs DMA
     * logging, or the container's {@code dirty_pages_started} (Q-EV-1) is set. Q-EV-5's unmap asks it.
     */
    static boolean trackingStarted(Container c, List<VfioDevice> devices) {
        if (c.dirtyPagesStarted) {
            return true;
        }
        for (VfioDevice d : devices) {
            if (!d.dmaLoggingStarted) {
                return false;
            }
        }
        return true;
    }

    /** The device supports VF DMA logging and {@code x-device-dirty-page-tracking} is not off. */
    static boolean canLog(VfioDevice d) {
        return d.vfDirtyPagesSupported && d.config.deviceDirtyPageTracking() != OnOffAuto.OFF;
    }

    /** QEMU's {@code vfio_listener_log_global_start} for one container, failures prefixed as QEMU prints them. */
    void start(Container c, List<VfioDevice> devices) {
        try {
            tracker.start(this, c, devices);
        } catch (VfioException e) {
            throw new VfioException(START_PREFIX + e.qemuMessage(), e.errno(), e.getCause());
        }
    }

    /** QEMU's {@code vfio_listener_log_global_stop} for one container, failures prefixed as QEMU prints them. */
    void stop(Container c, List<VfioDevice> devices) {
        try {
            tracker.stop(this, c, devices);
        } catch (VfioException e) {
            throw new VfioException(STOP_PREFIX + e.qemuMessage(), e.errno(), e.getCause());
        }
    }

    /**
     * QEMU's {@code vfio_container_query_dirty_bitmap} for one range of one container, as the tracker choice queries
     * it; {@code noClear}: the HWPTs are read with {@code IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR} (the query before an
     * unmap, Q-EV-5).
     */
    Query query(Container c, List<VfioDevice> devices, IovaRange range, boolean noClear) {
        return tracker.query(this, c, devices, range, noClear);
    }

    /**
     * Q-DT-1: nothing to do without {@code dirty_pages_supported}, nor when the {@link StartStopGuard} says the
     * container is in the requested state already (Q-EV-1); the new state is recorded on success.
     */
    void setContainerDirtyTracking(Container c, boolean start) {
        if (!c.dirtyPagesSupported || guard.alreadyDone(c, start)) {
            return;
        }
        setHwptsDirtyTracking(c, start);
        c.dirtyPagesStarted = start;
    }

    /** Undoes a container's IOMMU start after a later part of the same start failed. */
    void rollBackStarted(Container c) {
        if (c.dirtyPagesStarted) {
            rollBackHwpts(c, false);
            c.dirtyPagesStarted = false;
        }
    }

    /**
     * Q-DT-2: SET_DIRTY_TRACKING on every dirty-tracking HWPT, newest first; on the first failure every
     * dirty-tracking HWPT is set back to the opposite state (errors ignored) and the failure is returned.
     */
    private void setHwptsDirtyTracking(Container c, boolean start) {
        for (Hwpt h : c.hwpts) {
            if (!h.isDirtyTracking()) {
                continue;
            }
            try {
                backend.setDirtyTracking(h.id, start);
            } catch (IommufdException e) {
                rollBackHwpts(c, !start);
                throw VfioException.of("IOMMU_HWPT_SET_DIRTY_TRACKING(hwpt_id " + h.id + ") failed", e);
            }
        }
    }

    private void rollBackHwpts(Container c, boolean state) {
        for (Hwpt h : c.hwpts) {
            if (!h.isDirtyTracking()) {
                continue;
            }
            try {
                backend.setDirtyTracking(h.id, state);
            } catch (IommufdException ignored) {
                // Q-DT-2: errors of the rollback are ignored.
            }
        }
    }

    /**
     * Q-DT-4 row 1: DMA logging on every device that does not log yet, over the ranges of Q-DT-8; a failure stops the
     * ones started.
     */
    void startDmaLogging(List<VfioDevice> devices) {
        List<IovaRange> ranges = dmaLoggingRanges(memory.get());
        for (VfioDevice d : devices) {
            if (d.dmaLoggingStarted) {
                continue;
            }
            try {
                backend.dmaLoggingStart(d.devId(), ranges, pageSize);
            } catch (IommufdException e) {
                stopDmaLogging(devices);
                throw VfioException.of(d.name() + ": Failed to start DMA logging", e);
            }
            d.dmaLoggingStarted = true;
        }
    }

    /** The last address of the 32-bit space: a section ending at or below it counts for the 32-bit range (Q-DT-8). */
    private static final long UINT32_MAX = 0xffffffffL;

    /**
     * Q-DT-8 ({@code vfio_dirty_tracking_init}): QEMU starts device DMA logging not per section but with at most two
     * ranges, each from the lowest start to the highest end of the guest memory sections that end at or below 4 GiB
     * (the 32-bit range), and of those that end above it (the 64-bit range), holes included; an empty side gives no
     * range. Measured on QEMU 10.0.2 with {@code -m 128M}: one range {@code [0x0, +0x100000000)} for five sections.
     */
    static List<IovaRange> dmaLoggingRanges(List<IovaRange> memory) {
        long min32 = -1;
        long max32 = -1;
        long min64 = -1;
        long max64 = -1;
        for (IovaRange r : memory) {
            if (Long.compareUnsigned(r.last(), UINT32_MAX) <= 0) {
                min32 = min32 == -1 || Long.compareUnsigned(r.iova(), min32) < 0 ? r.iova() : min32;
                max32 = max32 == -1 || Long.compareUnsigned(r.last(), max32) > 0 ? r.last() : max32;
            } else {
                min64 = min64 == -1 || Long.compareUnsigned(r.iova(), min64) < 0 ? r.iova() : min64;
                max64 = max64 == -1 || Long.compareUnsigned(r.last(), max64) > 0 ? r.last() : max64;
            }
        }
        List<IovaRange> ranges = new ArrayList<>(2);
        if (max32 != -1) {
            ranges.add(new IovaRange(min32, max32 - min32 + 1));
        }
        if (max64 != -1) {
            ranges.add(new IovaRange(min64, max64 - min64 + 1));
        }
        return ranges;
    }

    /** Stops DMA logging where it runs; a failure is a warning and the device counts as stopped. */
    void stopDmaLogging(List<VfioDevice> devices) {
        for (VfioDevice d : devices) {
            if (!d.dmaLoggingStarted) {
                continue;
            }
            try {
                backend.dmaLoggingStop(d.devId());
            } catch (IommufdException e) {
                // Section 7: QEMU prints the negative errno and strerror's text.
                diagnostics.accept(new Diagnostic(Diagnostic.Level.WARNING, d.name() + ": Failed to stop DMA logging, err "
                        + -e.errnoNumber() + " (" + e.errno().description() + ")", d.name()));
            }
            d.dmaLoggingStarted = false;
        }
    }

    /**
     * What a query of one range reported.
     *
     * @param runs      the IOVA runs reported dirty
     * @param perpetual the whole range was reported because no tracker could see some device (Q-DT-4 row 3)
     * @param failure   the failure that ended the query, or null
     */
    record Query(List<IovaRange> runs, boolean perpetual, VfioException failure) {
        static Query perpetual(IovaRange range) {
            return new Query(List.of(range), true, null);
        }
    }

    /** One zeroed bitmap for {@code range} at the host page size (Q-DT-3). */
    DirtyBitmap bitmapFor(IovaRange range) {
        return DirtyBitmap.forRange(range.length(), pageSize);
    }

    List<IovaRange> runs(DirtyBitmap bitmap, IovaRange range) {
        List<IovaRange> runs = new ArrayList<>();
        bitmap.forEachRun((first, count) -> runs.add(new IovaRange(range.iova() + first * pageSize, count * pageSize)));
        return runs;
    }

    /** ORs each device's DMA log into {@code bitmap}; the first failure aborts. */
    void queryDmaLogs(List<VfioDevice> devices, IovaRange range, DirtyBitmap bitmap) {
        for (VfioDevice d : devices) {
            try {
                backend.dmaLoggingReport(d.devId(), range.iova(), range.length(), pageSize, bitmap);
            } catch (IommufdException e) {
                throw VfioException.of(d.name() + ": Failed to get DMA logging report, iova: 0x"
                        + Long.toHexString(range.iova()) + ", size: 0x" + Long.toHexString(range.length()), e);
            }
        }
    }

    /**
     * Q-DT-3: one buffer, every dirty-tracking HWPT newest first, the first failure aborts; {@code noClear} reads
     * without clearing (Q-EV-5).
     */
    void queryHwpts(Container c, IovaRange range, DirtyBitmap bitmap, boolean noClear) {
        for (Hwpt h : c.hwpts) {
            if (!h.isDirtyTracking()) {
                continue;
            }
            try {
                backend.getDirtyBitmap(h.id, range.iova(), range.length(), pageSize, noClear, bitmap);
            } catch (IommufdException e) {
                throw VfioException.of("IOMMU_HWPT_GET_DIRTY_BITMAP (iova: 0x" + Long.toHexString(range.iova())
                        + " size: 0x" + Long.toHexString(range.length()) + ") failed", e);
            }
        }
    }
}
