package io.github.iommufd4j.simulator.oracle;

import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.simulator.report.DirtyReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Knows, outside any backend, which guest pages each device wrote while dirty tracking was started and what
 * each sync reported, and keeps both halves of the account:
 *
 * <ul>
 *   <li><b>lost</b>: pages written and never reported since their last write (the migration would send a stale
 *       copy). A page is pending from a write until a later sync reports it.</li>
 *   <li><b>copied</b>: pages the syncs reported, each page once per sync (one migration iteration copies it once,
 *       however many containers report it), split into <b>needed</b> (pending when reported), <b>over-reported</b>
 *       (not pending, yet a tracker reported it: copied for nothing) and <b>perpetual</b> (not pending, and copied
 *       only because no tracker could see some device: the pages of a perpetual-dirty report that were not written,
 *       and the pages a tracker reports again after a perpetual report already copied them; the honest price of
 *       an untrackable device, kept apart from waste).</li>
 * </ul>
 *
 * <p>A migration decides what "lost" means in the end ({@link #migrationEnded}): when one completes, the pages still
 * pending are stale at the destination and stay lost, whatever a later sync reports; when one fails, nothing reached a
 * destination, so the pages written during it that are still pending cannot be lost and count as reported (the
 * source keeps running, and the next migration copies all memory first).
 *
 * <p>Reports are gathered into the current sync and settled by {@link #endSync()} (also implicitly before a
 * write, a forget or any figure is read). Pages of guest memory that is removed are forgotten (nothing to
 * migrate). Not thread-safe.
 */
public final class LostPageOracle {
    private final int pageShift;
    /** Every page written while tracking was started. */
    private final PageRuns written = new PageRuns();
    /** Per device: pages written and not reported since. */
    private final Map<String, PageRuns> pending = new TreeMap<>();
    /** Per device: pages still pending when a migration completed: stale at its destination for good. */
    private final Map<String, PageRuns> lostForGood = new TreeMap<>();
    /** Pages whose last report was perpetual dirty and that were not written since. */
    private final PageRuns perpetuallyCopied = new PageRuns();
    /** The current sync's reports: by a tracker, and as perpetual dirty. */
    private PageRuns syncPrecise = new PageRuns();
    private PageRuns syncPerpetual = new PageRuns();
    private long copied;
    private long needed;
    private long overReported;
    private long perpetual;

    /** An oracle counting pages of {@code pageSize} bytes (a power of two). */
    public LostPageOracle(long pageSize) {
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size " + pageSize + " is not a positive power of two");
        }
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
    }

    /** Device {@code device} wrote {@code range} while tracking was started. */
    public void written(String device, IovaRange range) {
        endSync();
        long first = firstPage(range);
        long end = endPage(range);
        written.add(first, end);
        pending.computeIfAbsent(device, d -> new PageRuns()).add(first, end);
        perpetuallyCopied.remove(first, end);
    }

    /** The current sync reported {@code range} dirty through a tracker. */
    public void reported(IovaRange range) {
        reported(range, false);
    }

    /** The current sync reported {@code range} dirty; {@code perpetual} when no tracker could see some device. */
    public void reported(IovaRange range, boolean isPerpetual) {
        (isPerpetual ? syncPerpetual : syncPrecise).add(firstPage(range), endPage(range));
    }

    /** The current sync is over: its reports are settled against the pages pending. */
    public void endSync() {
        if (syncPrecise.isEmpty() && syncPerpetual.isEmpty()) {
            return;
        }
        PageRuns all = new PageRuns();
        all.addAll(syncPrecise);
        all.addAll(syncPerpetual);
        PageRuns pendingAny = new PageRuns();
        pending.values().forEach(pendingAny::addAll);
        PageRuns notPending = new PageRuns();
        notPending.addAll(all);
        notPending.removeAll(pendingAny);
        PageRuns wasted = new PageRuns();
        wasted.addAll(syncPrecise);
        wasted.removeAll(pendingAny);
        wasted.removeAll(perpetuallyCopied);
        copied += all.count();
        needed += all.count() - notPending.count();
        overReported += wasted.count();
        perpetual += notPending.count() - wasted.count();
        for (PageRuns p : pending.values()) {
            p.removeAll(all);
        }
        perpetuallyCopied.removeAll(syncPrecise);
        perpetuallyCopied.addAll(syncPerpetual);
        syncPrecise = new PageRuns();
        syncPerpetual = new PageRuns();
    }

    /**
     * A migration ended: {@code completed}, the pages still pending are lost for good; failed, they are dropped (they
     * count as reported: no destination has a stale copy).
     */
    public void migrationEnded(boolean completed) {
        endSync();
        if (completed) {
            pending.forEach((device, runs) -> lostForGood.computeIfAbsent(device, d -> new PageRuns()).addAll(runs));
        }
        pending.clear();
    }

    /** Guest memory {@code range} was removed: its pages no longer count. */
    public void forget(IovaRange range) {
        endSync();
        long first = firstPage(range);
        long end = endPage(range);
        written.remove(first, end);
        perpetuallyCopied.remove(first, end);
        for (PageRuns p : pending.values()) {
            p.remove(first, end);
        }
        for (PageRuns p : lostForGood.values()) {
            p.remove(first, end);
        }
    }

    /** Distinct pages written while tracking was started. */
    public long writtenPages() {
        return written.count();
    }

    /** Written pages whose last write a later sync reported. */
    public long reportedPages() {
        endSync();
        PageRuns lost = new PageRuns();
        pending.values().forEach(lost::addAll);
        lostForGood.values().forEach(lost::addAll);
        return written.count() - lost.count();
    }

    /** What the syncs copied, split as the class comment says. */
    public DirtyCosts costs() {
        endSync();
        return new DirtyCosts(copied, needed, overReported, perpetual);
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

    /** The report's {@code dirty} section: pages written, pages reported, and the {@link #lost()} runs. */
    public DirtyReport dirtyReport() {
        return new DirtyReport(writtenPages(), reportedPages(), lost().stream()
                .map(l -> io.github.iommufd4j.simulator.report.LostRun.of(l.device(), l.iova(), l.pages())).toList());
    }

    /** Lost pages (pending now, or when a migration completed), as runs per device, sorted by device then address. */
    public List<LostRun> lost() {
        endSync();
        Map<String, PageRuns> all = new TreeMap<>();
        pending.forEach((device, runs) -> all.computeIfAbsent(device, d -> new PageRuns()).addAll(runs));
        lostForGood.forEach((device, runs) -> all.computeIfAbsent(device, d -> new PageRuns()).addAll(runs));
        List<LostRun> out = new ArrayList<>();
        all.forEach((device, runs) -> {
            for (PageRuns.Run r : runs.runs()) {
                out.add(new LostRun(device, r.start() << pageShift, r.count()));
            }
        });
        return out;
    }

    private long firstPage(IovaRange range) {
        return range.iova() >>> pageShift;
    }

    private long endPage(IovaRange range) {
        return (range.last() >>> pageShift) + 1;
    }
}
