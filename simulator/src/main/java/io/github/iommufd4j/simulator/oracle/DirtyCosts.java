package io.github.iommufd4j.simulator.oracle;

/**
 * What the syncs of a run copied, in pages ({@link LostPageOracle}): {@code copied = needed + overReported +
 * perpetual}.
 *
 * @param copied       pages reported, each once per sync
 * @param needed       of those, pages written since their last report
 * @param overReported of those, pages not written since their last report that a tracker reported (waste)
 * @param perpetual    of those, pages not written since their last report, copied only because no tracker could
 *                     see some device: reported as perpetual dirty, or reported again by a tracker after a
 *                     perpetual report had copied them (the price of an untrackable device)
 */
public record DirtyCosts(long copied, long needed, long overReported, long perpetual) {
    public DirtyCosts {
        if (copied < 0 || needed < 0 || overReported < 0 || perpetual < 0 || needed + overReported + perpetual != copied) {
            throw new IllegalArgumentException("dirty costs: copied " + copied + " must be needed " + needed
                    + " + over-reported " + overReported + " + perpetual " + perpetual);
        }
    }

    /** Nothing copied. */
    public static final DirtyCosts NONE = new DirtyCosts(0, 0, 0, 0);

    /** The sum of two accounts. */
    public DirtyCosts plus(DirtyCosts o) {
        return new DirtyCosts(copied + o.copied, needed + o.needed, overReported + o.overReported, perpetual + o.perpetual);
    }
}
