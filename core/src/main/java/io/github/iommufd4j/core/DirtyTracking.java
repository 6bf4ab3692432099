package io.github.iommufd4j.core;

import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.core.OnOffAuto;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Section 4 of {@code qemu-rules.md}: which tracker a container uses (Q-DT-4), starting and stopping it
 * (Q-DT-1, Q-DT-2) and querying it (Q-DT-3), with the texts of section 7.
 */
final class DirtyTracking {
    static final String START_PREFIX = "vfio: Could not start dirty page tracking - ";
    static final String STOP_PREFIX = "vfio: Could not stop dirty page tracking - ";

    private final IommufdBackend backend;
    private final Profile profile;
    private final long pageSize;
    private final Supplier<List<IovaRange>> memory;
    private final Consumer<Diagnostic> diagnostics;

    DirtyTracking(IommufdBackend backend, Profile profile, long pageSize, Supplier<List<IovaRange>> memory,
                  Consumer<Diagnostic> diagnostics) {
        this.backend = backend;
        this.profile = profile;
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
            if (d.config.deviceDirtyPageTracking() == OnOffAuto.OFF || !d.vfDirtyPagesSupported) {
                return false;
            }
        }
        return true;
    }

    /** QEMU's {@code vfio_listener_log_global_start} for one container. */
    void start(Container c, List<VfioDevice> devices) {
        try {
            if (allDeviceDirtyTracking(devices)) {
                startDmaLogging(devices);
            } else {
                setContainerDirtyTracking(c, true);
                if (profile.coverEveryDevice()) {
                    startDmaLoggingOnUnseenDevices(c, devices);
                }
            }
        } catch (VfioException e) {
            throw new VfioException(START_PREFIX + e.qemuMessage(), e.errno(), e.getCause());
        }
    }

    /**
     * {@link Profile#coverEveryDevice()}: VF DMA logging on the devices that can log and that no dirty-tracking
     * HWPT sees; a failure stops what this start began and fails it.
     */
    private void startDmaLoggingOnUnseenDevices(Container c, List<VfioDevice> devices) {
        List<VfioDevice> unseen = new ArrayList<>();
        for (VfioDevice d : devices) {
            if (!Hwpt.isDirtyTracking(d.hwpt) && canLog(d)) {
                unseen.add(d);
            }
        }
        try {
            startDmaLogging(unseen);
        } catch (VfioException e) {
            if (c.dirtyPagesStarted) {
                rollBackHwpts(c, false);
                c.dirtyPagesStarted = false;
            }
            throw e;
        }
    }

    private static boolean canLog(VfioDevice d) {
        return d.vfDirtyPagesSupported && d.config.deviceDirtyPageTracking() != OnOffAuto.OFF;
    }

    /** QEMU's {@code vfio_listener_log_global_stop} for one container. */
    void stop(Container c, List<VfioDevice> devices) {
        if (profile.coverEveryDevice()) {
            stopDmaLogging(devices);
        } else if (allDeviceDirtyTracking(devices)) {
            stopDmaLogging(devices);
            return;
        }
        try {
            setContainerDirtyTracking(c, false);
        } catch (VfioException e) {
            throw new VfioException(STOP_PREFIX + e.qemuMessage(), e.errno(), e.getCause());
        }
    }

    /**
     * Q-DT-1: nothing to do without {@code dirty_pages_supported}; with Q-EV-1 (a profile option) nothing to
     * do when already in the requested state; the new state is recorded on success.
     */
    private void setContainerDirtyTracking(Container c, boolean start) {
        if (!c.dirtyPagesSupported) {
            return;
        }
        if (profile.idempotentStartStop() && c.dirtyPagesStarted == start) {
            return;
        }
        setHwptsDirtyTracking(c, start);
        c.dirtyPagesStarted = start;
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

    /** Q-DT-4 row 1: DMA logging on every device; a failure stops the ones started. */
    private void startDmaLogging(List<VfioDevice> devices) {
        List<IovaRange> ranges = memory.get();
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

    /** Stops DMA logging where it runs; a failure is a warning and the device counts as stopped. */
    void stopDmaLogging(List<VfioDevice> devices) {
        for (VfioDevice d : devices) {
            if (!d.dmaLoggingStarted) {
                continue;
            }
            try {
                backend.dmaLoggingStop(d.devId());
            } catch (IommufdException e) {
                diagnostics.accept(new Diagnostic(Diagnostic.Level.WARNING, d.name() + ": Failed to stop DMA logging, err "
                        + e.errnoNumber() + " (" + e.errno() + ")", d.name()));
            }
            d.dmaLoggingStarted = false;
        }
    }

    /**
     * What a query of one range reported.
     *
     * @param runs    the IOVA runs reported dirty
     * @param failure the failure that ended the query, or null
     */
    record Query(List<IovaRange> runs, VfioException failure) {
    }

    /**
     * QEMU's {@code vfio_get_dirty_bitmap} for one range of one container (Q-DT-4): perpetual dirty without a
     * tracker, else one zeroed bitmap OR-ed by each device's DMA log (row 1) or each dirty-tracking HWPT (row 2,
     * Q-DT-3), the first failure aborting with nothing reported.
     */
    Query query(Container c, List<VfioDevice> devices, IovaRange range) {
        if (profile.coverEveryDevice()) {
            return queryCovered(c, devices, range);
        }
        boolean deviceTracking = allDeviceDirtyTracking(devices);
        if (!c.dirtyPagesSupported && !deviceTracking) {
            return new Query(List.of(range), null);
        }
        DirtyBitmap bitmap = DirtyBitmap.forRange(range.length(), pageSize);
        try {
            if (deviceTracking) {
                queryDmaLogs(devices, range, bitmap);
            } else {
                queryHwpts(c, range, bitmap, false);
            }
        } catch (VfioException e) {
            return new Query(List.of(), e);
        }
        return new Query(runs(bitmap, range), null);
    }

    /**
     * {@link Profile#coverEveryDevice()} and {@link Profile#keepBitsOnFailedQuery()}: perpetual dirty while a
     * device is seen by no running tracker; else the dirty-tracking HWPTs (when started) read with NO_CLEAR, then
     * read and cleared, then the DMA logs; a failure after the NO_CLEAR pass keeps the bits gathered.
     */
    private Query queryCovered(Container c, List<VfioDevice> devices, IovaRange range) {
        for (VfioDevice d : devices) {
            boolean seenByIommu = c.dirtyPagesStarted && Hwpt.isDirtyTracking(d.hwpt);
            if (!seenByIommu && !d.dmaLoggingStarted) {
                return new Query(List.of(range), null);
            }
        }
        DirtyBitmap bitmap = DirtyBitmap.forRange(range.length(), pageSize);
        if (c.dirtyPagesStarted) {
            try {
                queryHwpts(c, range, bitmap, profile.keepBitsOnFailedQuery());
            } catch (VfioException e) {
                return new Query(List.of(), e); // nothing was cleared: the next query reads it all again
            }
        }
        VfioException failure = null;
        try {
            if (profile.keepBitsOnFailedQuery() && c.dirtyPagesStarted) {
                queryHwpts(c, range, bitmap, false);
            }
            List<VfioDevice> logging = new ArrayList<>();
            for (VfioDevice d : devices) {
                if (d.dmaLoggingStarted) {
                    logging.add(d);
                }
            }
            queryDmaLogs(logging, range, bitmap);
        } catch (VfioException e) {
            failure = e;
        }
        return new Query(runs(bitmap, range), failure);
    }

    private List<IovaRange> runs(DirtyBitmap bitmap, IovaRange range) {
        List<IovaRange> runs = new ArrayList<>();
        bitmap.forEachRun((first, count) -> runs.add(new IovaRange(range.iova() + first * pageSize, count * pageSize)));
        return runs;
    }

    private void queryDmaLogs(List<VfioDevice> devices, IovaRange range, DirtyBitmap bitmap) {
        for (VfioDevice d : devices) {
            try {
                backend.dmaLoggingReport(d.devId(), range.iova(), range.length(), pageSize, bitmap);
            } catch (IommufdException e) {
                throw VfioException.of(d.name() + ": Failed to get DMA logging report, iova: 0x"
                        + Long.toHexString(range.iova()) + ", size: 0x" + Long.toHexString(range.length()), e);
            }
        }
    }

    /** Q-DT-3: one buffer, every dirty-tracking HWPT newest first, the first failure aborts. */
    private void queryHwpts(Container c, IovaRange range, DirtyBitmap bitmap, boolean noClear) {
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
