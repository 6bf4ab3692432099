package io.github.iommufd4j.core;

import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.IovaRange;
import java.util.ArrayList;
import java.util.List;

/**
 * Which dirty tracker a container uses during a migration, and how it is started, stopped and queried
 * ({@code docs/reference/qemu-rules.md}, Q-DT-4 and Q-DT-5). Two choices: {@link #qemu()}, and this project's
 * {@link #coverEveryDevice(boolean, boolean)}, whose query and flush options exist only with it.
 */
public abstract class TrackerChoice {
    private static final TrackerChoice QEMU = new Qemu();

    TrackerChoice() {
    }

    /** QEMU (Q-DT-4): one tracker per container, device DMA logging if every device has it, else the IOMMU's. */
    public static TrackerChoice qemu() {
        return QEMU;
    }

    /**
     * This project's {@code safe} tracker (changes Q-DT-4, and with its options Q-DT-3 and Q-DT-1): during a
     * session every device is seen by a running tracker. With IOMMU tracking, the devices on no dirty-tracking HWPT
     * that can log get DMA logging too and their logs are read with the HWPTs; while a device is seen by no
     * tracker, its container reports perpetual dirty. Guest memory cannot grow while tracking (DMA logging ranges
     * are fixed at start).
     *
     * @param keepBitsOnFailedQuery a failed query still reports the bits read and cleared before the failure;
     *                              what failed keeps its bits for the next sync (changes Q-DT-3, where QEMU drops
     *                              the whole buffer and loses the bits of the HWPTs read before the failure)
     * @param flushBeforeStop       a stop first syncs all memory, and a failed flush keeps tracking on
     */
    public static TrackerChoice coverEveryDevice(boolean keepBitsOnFailedQuery, boolean flushBeforeStop) {
        return new CoverEveryDevice(keepBitsOnFailedQuery, flushBeforeStop);
    }

    /** {@code vfio_listener_log_global_start} for one container. */
    abstract void start(DirtyTracking t, Container c, List<VfioDevice> devices);

    /** {@code vfio_listener_log_global_stop} for one container. */
    abstract void stop(DirtyTracking t, Container c, List<VfioDevice> devices);

    /**
     * {@code vfio_get_dirty_bitmap} for one range of one container; {@code noClear}: the HWPTs are read without
     * clearing (the query before an unmap, Q-EV-5; a device's DMA log always clears).
     */
    abstract DirtyTracking.Query query(DirtyTracking t, Container c, List<VfioDevice> devices, IovaRange range,
                                       boolean noClear);

    /**
     * Q-EV-5: whether an unmap that reads the range's dirty bits reads the IOMMU's first (with NO_CLEAR, then
     * unmaps), rather than unmapping first and reading after: when the container's tracker is the IOMMU's (not every
     * device logs its own DMA, and the container claims dirty tracking).
     */
    boolean readsIommuBeforeUnmap(Container c, List<VfioDevice> devices) {
        return !DirtyTracking.allDeviceDirtyTracking(devices) && c.dirtyPagesSupported;
    }

    /** Whether a stop first syncs all memory. */
    boolean flushesBeforeStop() {
        return false;
    }

    /** Whether guest memory is refused while logging. */
    boolean fixesMemoryWhileLogging() {
        return false;
    }

    /** QEMU's Q-DT-4. */
    private static final class Qemu extends TrackerChoice {
        @Override
        void start(DirtyTracking t, Container c, List<VfioDevice> devices) {
            if (DirtyTracking.allDeviceDirtyTracking(devices)) {
                t.startDmaLogging(devices);
            } else {
                t.setContainerDirtyTracking(c, true);
            }
        }

        @Override
        void stop(DirtyTracking t, Container c, List<VfioDevice> devices) {
            if (DirtyTracking.allDeviceDirtyTracking(devices)) {
                t.stopDmaLogging(devices);
            } else {
                t.setContainerDirtyTracking(c, false);
            }
        }

        /** Perpetual dirty without a tracker, else the DMA logs (row 1) or the dirty-tracking HWPTs (row 2, Q-DT-3). */
        @Override
        DirtyTracking.Query query(DirtyTracking t, Container c, List<VfioDevice> devices, IovaRange range,
                                  boolean noClear) {
            boolean deviceTracking = DirtyTracking.allDeviceDirtyTracking(devices);
            if (!c.dirtyPagesSupported && !deviceTracking) {
                return DirtyTracking.Query.perpetual(range);
            }
            DirtyBitmap bitmap = t.bitmapFor(range);
            try {
                if (deviceTracking) {
                    t.queryDmaLogs(devices, range, bitmap);
                } else {
                    t.queryHwpts(c, range, bitmap, noClear);
                }
            } catch (VfioException e) {
                return new DirtyTracking.Query(List.of(), false, e);
            }
            return new DirtyTracking.Query(t.runs(bitmap, range), false, null);
        }

        @Override
        public String toString() {
            return "qemu (Q-DT-4)";
        }
    }

    /** This project's tracker that leaves no device unseen. */
    private static final class CoverEveryDevice extends TrackerChoice {
        private final boolean keepBitsOnFailedQuery;
        private final boolean flushBeforeStop;

        CoverEveryDevice(boolean keepBitsOnFailedQuery, boolean flushBeforeStop) {
            this.keepBitsOnFailedQuery = keepBitsOnFailedQuery;
            this.flushBeforeStop = flushBeforeStop;
        }

        @Override
        void start(DirtyTracking t, Container c, List<VfioDevice> devices) {
            if (DirtyTracking.allDeviceDirtyTracking(devices)) {
                t.startDmaLogging(devices);
                return;
            }
            t.setContainerDirtyTracking(c, true);
            List<VfioDevice> unseen = new ArrayList<>();
            for (VfioDevice d : devices) {
                if (!Hwpt.isDirtyTracking(d.hwpt) && DirtyTracking.canLog(d)) {
                    unseen.add(d);
                }
            }
            try {
                t.startDmaLogging(unseen);
            } catch (VfioException e) {
                t.rollBackStarted(c);
                throw e;
            }
        }

        @Override
        void stop(DirtyTracking t, Container c, List<VfioDevice> devices) {
            t.stopDmaLogging(devices);
            t.setContainerDirtyTracking(c, false);
        }

        /**
         * Perpetual dirty while a device is seen by no running tracker; else the dirty-tracking HWPTs (when started),
         * then the DMA logs, into one bitmap. Under {@code keepBitsOnFailedQuery} a failure still reports the bits
         * gathered before it: those were read and cleared, and the HWPT or log that failed and the ones after it
         * keep theirs for the next sync, so nothing is lost and nothing is reported twice.
         */
        @Override
        DirtyTracking.Query query(DirtyTracking t, Container c, List<VfioDevice> devices, IovaRange range,
                                  boolean noClear) {
            for (VfioDevice d : devices) {
                boolean seenByIommu = c.dirtyPagesStarted && Hwpt.isDirtyTracking(d.hwpt);
                if (!seenByIommu && !d.dmaLoggingStarted) {
                    return DirtyTracking.Query.perpetual(range);
                }
            }
            DirtyBitmap bitmap = t.bitmapFor(range);
            List<VfioDevice> logging = new ArrayList<>();
            for (VfioDevice d : devices) {
                if (d.dmaLoggingStarted) {
                    logging.add(d);
                }
            }
            try {
                if (c.dirtyPagesStarted) {
                    t.queryHwpts(c, range, bitmap, noClear);
                }
                t.queryDmaLogs(logging, range, bitmap);
            } catch (VfioException e) {
                return new DirtyTracking.Query(keepBitsOnFailedQuery ? t.runs(bitmap, range) : List.of(), false, e);
            }
            return new DirtyTracking.Query(t.runs(bitmap, range), false, null);
        }

        @Override
        boolean flushesBeforeStop() {
            return flushBeforeStop;
        }

        @Override
        boolean fixesMemoryWhileLogging() {
            return true;
        }

        @Override
        public String toString() {
            return "cover every device" + (keepBitsOnFailedQuery ? ", keep bits on a failed query" : "")
                    + (flushBeforeStop ? ", flush before stop" : "");
        }
    }
}
