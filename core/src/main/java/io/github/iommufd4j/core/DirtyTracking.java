package io.github.iommufd4j.core;

import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.core.scenario.OnOffAuto;
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
            }
        } catch (VfioException e) {
            throw new VfioException(START_PREFIX + e.qemuMessage(), e.errno(), e.getCause());
        }
    }

    /** QEMU's {@code vfio_listener_log_global_stop} for one container. */
    void stop(Container c, List<VfioDevice> devices) {
        if (allDeviceDirtyTracking(devices)) {
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
     * QEMU's {@code vfio_get_dirty_bitmap} for one range of one container (Q-DT-4): perpetual dirty without a
     * tracker, else one zeroed bitmap OR-ed by each device's DMA log (row 1) or each dirty-tracking HWPT (row 2,
     * Q-DT-3), the first failure aborting with nothing reported.
     *
     * @return the IOVA runs reported dirty
     */
    List<IovaRange> query(Container c, List<VfioDevice> devices, IovaRange range) {
        boolean deviceTracking = allDeviceDirtyTracking(devices);
        if (!c.dirtyPagesSupported && !deviceTracking) {
            return List.of(range);
        }
        DirtyBitmap bitmap = DirtyBitmap.forRange(range.length(), pageSize);
        if (deviceTracking) {
            queryDmaLogs(devices, range, bitmap);
        } else {
            queryHwpts(c, range, bitmap);
        }
        List<IovaRange> runs = new ArrayList<>();
        bitmap.forEachRun((first, count) -> {
            long start = range.iova() + first * pageSize;
            runs.add(new IovaRange(start, count * pageSize));
        });
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
    private void queryHwpts(Container c, IovaRange range, DirtyBitmap bitmap) {
        for (Hwpt h : c.hwpts) {
            if (!h.isDirtyTracking()) {
                continue;
            }
            try {
                backend.getDirtyBitmap(h.id, range.iova(), range.length(), pageSize, false, bitmap);
            } catch (IommufdException e) {
                throw VfioException.of("IOMMU_HWPT_GET_DIRTY_BITMAP (iova: 0x" + Long.toHexString(range.iova())
                        + " size: 0x" + Long.toHexString(range.length()) + ") failed", e);
            }
        }
    }
}
