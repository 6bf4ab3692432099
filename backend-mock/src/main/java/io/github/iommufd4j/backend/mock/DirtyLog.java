package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.IovaRange;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What was written, as the two dirty trackers see it (rule ids of {@code docs/reference/kernel-uapi.md}):
 * <ul>
 *   <li>the IOMMU's: the dirty IOPTEs of each HWPT, marked while its tracking is on (K-SDT-4) and read into a
 *       bitmap by GET_DIRTY_BITMAP (K-GDB-6, K-GDB-7);</li>
 *   <li>the device's: the DMA log of each device whose VF dirty tracking runs (VFIO DMA logging), at the
 *       logging page size, within the logged ranges.</li>
 * </ul>
 * Dirty state is held as merged intervals, so a large write costs one entry. Not thread-safe; {@link MockKernel}
 * guards it.
 */
final class DirtyLog {
    private record DmaLog(List<IovaRange> ranges, long pageSize, IovaIntervals dirty) {
    }

    /** Dirty IOPTEs per HWPT, rounded to the HWPT's IOPTE size; kept while tracking is off, as the kernel does. */
    private final Map<Hwpt, IovaIntervals> dirtyIoptes = new HashMap<>();
    private final Set<Hwpt> trackingOn = new HashSet<>();
    private final Map<Device, DmaLog> logs = new HashMap<>();

    // ---------------------------------------------------------------- HWPT dirty tracking

    /** K-SDT-4: enabling clears every dirty bit first (twice is fine); disabling keeps them. */
    void setTracking(Hwpt hwpt, boolean enable) {
        if (enable) {
            ioptes(hwpt).clear();
            trackingOn.add(hwpt);
        } else {
            trackingOn.remove(hwpt);
        }
    }

    boolean tracking(Hwpt hwpt) {
        return trackingOn.contains(hwpt);
    }

    /**
     * A write to the mapped {@code [first, last]} through {@code hwpt}: marks the IOPTEs it touches when
     * tracking is on there, and returns how many (already dirty ones included); 0 with tracking off.
     */
    long markWritten(Hwpt hwpt, long first, long last) {
        if (!tracking(hwpt)) {
            return 0;
        }
        long pte = hwpt.iommu.iopteSize();
        long pteFirst = first & -pte;
        long pteLast = (last & -pte) + pte - 1;
        ioptes(hwpt).add(pteFirst, pteLast);
        return Long.divideUnsigned(pteLast - pteFirst, pte) + 1;
    }

    /**
     * GET_DIRTY_BITMAP after its checks: with tracking off nothing is reported (K-GDB-7: the driver refuses and
     * the kernel drops the error). Otherwise walks the areas contiguous from {@code iova}, sets the bit of every
     * page a dirty IOPTE covers (K-GDB-6: bits are only set) and, without {@code noClear}, clears what it read;
     * the first hole ends the walk silently (K-GDB-7).
     */
    void read(Hwpt hwpt, long iova, long last, long pageSize, boolean noClear, DirtyBitmap into) {
        if (!tracking(hwpt)) {
            return;
        }
        IovaIntervals ioptes = ioptes(hwpt);
        long cur = iova;
        while (true) {
            IovaRange area = hwpt.ioas.areas.containing(cur);
            if (area == null) {
                return;
            }
            long segLast = minU(area.last(), last);
            for (IovaRange pte : ioptes.overlapping(cur, segLast)) {
                setBits(into, iova, last, pageSize, pte.iova(), pte.last());
            }
            if (!noClear) {
                ioptes.remove(cur, segLast);
            }
            if (segLast == last) {
                return;
            }
            cur = segLast + 1;
        }
    }

    /** An area left the IOAS: its dirty bits go from every HWPT of the IOAS. */
    void unmapped(Ioas ioas, IovaRange area) {
        for (Hwpt h : ioas.hwpts) {
            IovaIntervals ioptes = dirtyIoptes.get(h);
            if (ioptes != null) {
                ioptes.remove(area.iova(), area.last());
            }
        }
    }

    /** {@code hwpt} was destroyed or freed. */
    void forget(Hwpt hwpt) {
        dirtyIoptes.remove(hwpt);
        trackingOn.remove(hwpt);
    }

    private IovaIntervals ioptes(Hwpt hwpt) {
        return dirtyIoptes.computeIfAbsent(hwpt, h -> new IovaIntervals());
    }

    // ---------------------------------------------------------------- device DMA logs

    boolean logging(Device dev) {
        return logs.containsKey(dev);
    }

    /** DMA_LOGGING_START after its checks: an empty log over {@code ranges} at {@code pageSize}. */
    void startLogging(Device dev, List<IovaRange> ranges, long pageSize) {
        logs.put(dev, new DmaLog(List.copyOf(ranges), pageSize, new IovaIntervals()));
    }

    /** DMA_LOGGING_STOP, and unbind: the log goes. */
    void stopLogging(Device dev) {
        logs.remove(dev);
    }

    /** A write to the mapped {@code [first, last]} by {@code dev}: its pages within the logged ranges enter the log. */
    void logWritten(Device dev, long first, long last) {
        DmaLog log = logs.get(dev);
        if (log == null) {
            return;
        }
        for (IovaRange r : log.ranges()) {
            long from = maxU(first, r.iova());
            long to = minU(last, r.last());
            if (Long.compareUnsigned(from, to) <= 0) {
                long p = log.pageSize();
                log.dirty().add(from & -p, (to & -p) + p - 1);
            }
        }
    }

    /** DMA_LOGGING_REPORT after its checks: ORs the logged pages of {@code [iova, last]} in, then forgets them. */
    void report(Device dev, long iova, long last, long pageSize, DirtyBitmap into) {
        IovaIntervals dirty = logs.get(dev).dirty();
        for (IovaRange granule : dirty.overlapping(iova, last)) {
            setBits(into, iova, last, pageSize, granule.iova(), granule.last());
        }
        dirty.remove(iova, last);
    }

    void clear() {
        dirtyIoptes.clear();
        trackingOn.clear();
        logs.clear();
    }

    /** Sets the bits of every page of {@code [iova, last]} that {@code [first, dirtyLast]} touches (K-GDB-6). */
    private static void setBits(DirtyBitmap into, long iova, long last, long pageSize, long first, long dirtyLast) {
        long from = maxU(first, iova);
        long to = minU(dirtyLast, last);
        if (Long.compareUnsigned(from, to) > 0) {
            return;
        }
        long firstBit = Long.divideUnsigned(from - iova, pageSize);
        long lastBit = Long.divideUnsigned(to - iova, pageSize);
        into.setRange(firstBit, lastBit - firstBit + 1);
    }

    private static long maxU(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }

    private static long minU(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0 ? a : b;
    }
}
