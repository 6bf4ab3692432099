package io.github.iommufd4j.simulator.report;

import java.util.List;

/**
 * The dirty-page oracle's account, kept outside the backend.
 *
 * @param written  distinct guest pages written by {@code dma} steps while dirty tracking was started
 * @param reported how many of those a later sync reported dirty (perpetual-dirty counts as reported)
 * @param lost     written pages never reported, as runs of consecutive pages, sorted by device then iova
 */
public record DirtyReport(long written, long reported, List<LostRun> lost) {
    public DirtyReport {
        if (written < 0 || reported < 0 || reported > written) {
            throw new IllegalArgumentException("dirty pages: reported " + reported + " of written " + written
                    + "; expected 0 <= reported <= written");
        }
        lost = Lists.copy(lost, "lost");
    }
}
