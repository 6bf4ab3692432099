package io.github.iommufd4j.simulator.oracle;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of page numbers kept as disjoint, non-adjacent runs {@code [start, end)}: memory proportional to the
 * number of runs, not of pages, so a DMA over a whole 1 TiB guest is one entry. Not thread-safe.
 */
public final class PageRuns {
    /** A run of pages {@code [start, start + count)}. */
    public record Run(long start, long count) {
    }

    private final TreeMap<Long, Long> runs = new TreeMap<>();

    /** Adds pages {@code [start, end)}. */
    public void add(long start, long end) {
        if (end <= start) {
            return;
        }
        Map.Entry<Long, Long> before = runs.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
        }
        Iterator<Map.Entry<Long, Long>> it = runs.tailMap(start, true).entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Long> e = it.next();
            long key = e.getKey();
            long value = e.getValue(); // read before remove: TreeMap may reuse the entry object
            if (key > end) {
                break;
            }
            end = Math.max(end, value);
            it.remove();
        }
        runs.put(start, end);
    }

    /** Removes pages {@code [start, end)}. */
    public void remove(long start, long end) {
        if (end <= start) {
            return;
        }
        Map.Entry<Long, Long> before = runs.lowerEntry(start);
        if (before != null && before.getValue() > start) {
            long oldEnd = before.getValue();
            runs.put(before.getKey(), start);
            if (oldEnd > end) {
                runs.put(end, oldEnd);
                return;
            }
        }
        Iterator<Map.Entry<Long, Long>> it = runs.tailMap(start, true).entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Long> e = it.next();
            long key = e.getKey();
            long value = e.getValue(); // read before remove: TreeMap may reuse the entry object
            if (key >= end) {
                break;
            }
            it.remove();
            if (value > end) {
                runs.put(end, value);
                break;
            }
        }
    }

    /** Adds every page of {@code other}. */
    public void addAll(PageRuns other) {
        other.runs.forEach(this::add);
    }

    /** Removes every page of {@code other}. */
    public void removeAll(PageRuns other) {
        if (other == this) {
            runs.clear();
            return;
        }
        other.runs.forEach(this::remove);
    }

    /** Whether page {@code page} is in the set. */
    public boolean contains(long page) {
        Map.Entry<Long, Long> e = runs.floorEntry(page);
        return e != null && e.getValue() > page;
    }

    /** Number of pages. */
    public long count() {
        long n = 0;
        for (Map.Entry<Long, Long> e : runs.entrySet()) {
            n += e.getValue() - e.getKey();
        }
        return n;
    }

    /** Whether the set is empty. */
    public boolean isEmpty() {
        return runs.isEmpty();
    }

    /** The runs in increasing order. */
    public java.util.List<Run> runs() {
        java.util.List<Run> out = new java.util.ArrayList<>(runs.size());
        runs.forEach((s, e) -> out.add(new Run(s, e - s)));
        return out;
    }

    @Override
    public String toString() {
        return runs().toString();
    }
}
