package io.github.iommufd4j.simulator.oracle;

import io.github.iommufd4j.api.IovaRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Knows, outside any backend, which guest pages each device wrote while dirty tracking was started and which of
 * them a sync reported afterwards; lists the pages written but never reported since their last write ("lost":
 * the migration would send a stale copy). A page is pending from a write until a later sync reports it; a
 * perpetual-dirty sync reports its whole range. Pages of guest memory that is removed are forgotten (nothing to
 * migrate). Not thread-safe.
 */
public final class LostPageOracle {
    private final long pageSize;
    private final int pageShift;
    /** Every page written while tracking was started. */
    private final PageRuns written = new PageRuns();
    /** Per device: pages written and not reported since. */
    private final Map<String, PageRuns> pending = new TreeMap<>();

    /** An oracle counting pages of {@code pageSize} bytes (a power of two). */
    public LostPageOracle(long pageSize) {
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size " + pageSize + " is not a positive power of two");
        }
        this.pageSize = pageSize;
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
    }

    /** Device {@code device} wrote {@code range} while tracking was started. */
    public void written(String device, IovaRange range) {
        long first = range.iova() >>> pageShift;
        long end = ((range.last()) >>> pageShift) + 1;
        written.add(first, end);
        pending.computeIfAbsent(device, d -> new PageRuns()).add(first, end);
    }

    /** A sync reported {@code range} dirty. */
    public void reported(IovaRange range) {
        long first = range.iova() >>> pageShift;
        long end = ((range.last()) >>> pageShift) + 1;
        for (PageRuns p : pending.values()) {
            p.remove(first, end);
        }
    }

    /** Guest memory {@code range} was removed: its pages no longer count. */
    public void forget(IovaRange range) {
        long first = range.iova() >>> pageShift;
        long end = ((range.last()) >>> pageShift) + 1;
        written.remove(first, end);
        for (PageRuns p : pending.values()) {
            p.remove(first, end);
        }
    }

    /** Distinct pages written while tracking was started. */
    public long writtenPages() {
        return written.count();
    }

    /** Written pages whose last write a later sync reported. */
    public long reportedPages() {
        PageRuns lost = new PageRuns();
        pending.values().forEach(lost::addAll);
        return written.count() - lost.count();
    }

    /**
     * A run of lost pages of one device.
     *
     * @param device the device that wrote them
     * @param iova   the first page's address
     * @param pages  how many
     */
    public record LostRun(String device, long iova, long pages) {
    }

    /** Lost pages, as runs per device, sorted by device then address. */
    public List<LostRun> lost() {
        List<LostRun> out = new ArrayList<>();
        pending.forEach((device, runs) -> {
            for (PageRuns.Run r : runs.runs()) {
                out.add(new LostRun(device, r.start() << pageShift, r.count()));
            }
        });
        return out;
    }

    /** The page size. */
    public long pageSize() {
        return pageSize;
    }
}
