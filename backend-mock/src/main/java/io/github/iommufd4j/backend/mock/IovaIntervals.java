package io.github.iommufd4j.backend.mock;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of IOVAs held as disjoint, merged intervals {@code [first, last]} over the unsigned 64-bit space
 * (inclusive ends, so the top address needs no overflow tricks). Used for dirty IOPTEs and device DMA logs:
 * a write over a gigabyte is one entry, not a quarter of a million.
 */
final class IovaIntervals {
    private final TreeMap<Long, Long> firstToLast = new TreeMap<>(Long::compareUnsigned);

    /** Adds {@code [first, last]}, merging with overlapping or adjacent intervals. */
    void add(long first, long last) {
        long f = first;
        long l = last;
        Map.Entry<Long, Long> before = firstToLast.floorEntry(f);
        if (before != null && (Long.compareUnsigned(before.getValue(), f) >= 0 || before.getValue() + 1 == f)) {
            f = before.getKey();
            l = maxUnsigned(l, before.getValue());
            firstToLast.remove(before.getKey());
        }
        while (true) {
            Map.Entry<Long, Long> next = firstToLast.ceilingEntry(f);
            if (next == null || (l != -1L && Long.compareUnsigned(next.getKey(), l + 1) > 0)) {
                break;
            }
            l = maxUnsigned(l, next.getValue());
            firstToLast.remove(next.getKey());
        }
        firstToLast.put(f, l);
    }

    /** Removes {@code [first, last]}, splitting intervals that stick out on either side. */
    void remove(long first, long last) {
        for (long[] iv : overlapping(first, last)) {
            firstToLast.remove(iv[0]);
            if (Long.compareUnsigned(iv[0], first) < 0) {
                firstToLast.put(iv[0], first - 1);
            }
            if (Long.compareUnsigned(iv[1], last) > 0) {
                firstToLast.put(last + 1, iv[1]);
            }
        }
    }

    /** The intervals that meet {@code [first, last]}, unclipped, in address order, as {@code {first, last}} pairs. */
    List<long[]> overlapping(long first, long last) {
        List<long[]> out = new ArrayList<>();
        Map.Entry<Long, Long> before = firstToLast.lowerEntry(first);
        if (before != null && Long.compareUnsigned(before.getValue(), first) >= 0) {
            out.add(new long[] {before.getKey(), before.getValue()});
        }
        for (Map.Entry<Long, Long> e : firstToLast.subMap(first, true, last, true).entrySet()) {
            out.add(new long[] {e.getKey(), e.getValue()});
        }
        return out;
    }

    /** Drops everything. */
    void clear() {
        firstToLast.clear();
    }

    boolean isEmpty() {
        return firstToLast.isEmpty();
    }

    private static long maxUnsigned(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        firstToLast.forEach((f, l) -> sb.append(sb.length() > 1 ? ", " : "")
                .append("0x").append(Long.toHexString(f)).append("-0x").append(Long.toHexString(l)));
        return sb.append(']').toString();
    }
}
