package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.IovaRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Disjoint IOVA ranges over the unsigned 64-bit space, in address order. Two ways in:
 * <ul>
 *   <li>{@link #add(long, long)} merges with overlapping and adjacent ranges, and {@link #remove(long, long)}
 *       splits what sticks out: a set of addresses (dirty IOPTEs, a device's DMA log), where a write over a
 *       gigabyte is one entry, not a quarter of a million;</li>
 *   <li>{@link #put(IovaRange)} keeps a range as given, next to its neighbours: an IOAS's areas, whose bounds
 *       matter because unmap removes whole areas only (K-UNMAP).</li>
 * </ul>
 * Ranges are {@link IovaRange}s, so no stored range is empty or wraps. Not thread-safe.
 */
final class IovaIntervals {
    private final TreeMap<Long, IovaRange> byStart = new TreeMap<>(Long::compareUnsigned);

    /** Adds {@code [first, last]}, merging with overlapping or adjacent ranges. */
    void add(long first, long last) {
        long f = first;
        long l = last;
        Map.Entry<Long, IovaRange> before = byStart.floorEntry(f);
        if (before != null && (Long.compareUnsigned(before.getValue().last(), f) >= 0 || before.getValue().last() + 1 == f)) {
            f = before.getKey();
            l = maxUnsigned(l, before.getValue().last());
            byStart.remove(before.getKey());
        }
        while (true) {
            Map.Entry<Long, IovaRange> next = byStart.ceilingEntry(f);
            if (next == null || (l != -1L && Long.compareUnsigned(next.getKey(), l + 1) > 0)) {
                break;
            }
            l = maxUnsigned(l, next.getValue().last());
            byStart.remove(next.getKey());
        }
        byStart.put(f, range(f, l));
    }

    /**
     * Keeps {@code range} as it is, not merged with its neighbours.
     *
     * @throws IllegalArgumentException when it meets a range already held
     */
    void put(IovaRange range) {
        if (!overlapping(range.iova(), range.last()).isEmpty()) {
            throw new IllegalArgumentException(range + " meets " + overlapping(range.iova(), range.last()));
        }
        byStart.put(range.iova(), range);
    }

    /** Removes {@code [first, last]}, splitting ranges that stick out on either side. */
    void remove(long first, long last) {
        for (IovaRange r : overlapping(first, last)) {
            byStart.remove(r.iova());
            if (Long.compareUnsigned(r.iova(), first) < 0) {
                byStart.put(r.iova(), range(r.iova(), first - 1));
            }
            if (Long.compareUnsigned(r.last(), last) > 0) {
                byStart.put(last + 1, range(last + 1, r.last()));
            }
        }
    }

    /** The ranges that meet {@code [first, last]}, unclipped, in address order. */
    List<IovaRange> overlapping(long first, long last) {
        List<IovaRange> out = new ArrayList<>();
        Map.Entry<Long, IovaRange> before = byStart.lowerEntry(first);
        if (before != null && Long.compareUnsigned(before.getValue().last(), first) >= 0) {
            out.add(before.getValue());
        }
        out.addAll(byStart.subMap(first, true, last, true).values());
        return out;
    }

    /** The range holding {@code iova}, or null. */
    IovaRange containing(long iova) {
        Map.Entry<Long, IovaRange> e = byStart.floorEntry(iova);
        return e != null && Long.compareUnsigned(e.getValue().last(), iova) >= 0 ? e.getValue() : null;
    }

    /** Every range, in address order. */
    List<IovaRange> all() {
        return List.copyOf(byStart.values());
    }

    /** Drops everything. */
    void clear() {
        byStart.clear();
    }

    boolean isEmpty() {
        return byStart.isEmpty();
    }

    private static IovaRange range(long first, long last) {
        return new IovaRange(first, last - first + 1);
    }

    private static long maxUnsigned(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        byStart.values().forEach(r -> sb.append(sb.length() > 1 ? ", " : "")
                .append("0x").append(Long.toHexString(r.iova())).append("-0x").append(Long.toHexString(r.last())));
        return sb.append(']').toString();
    }
}
