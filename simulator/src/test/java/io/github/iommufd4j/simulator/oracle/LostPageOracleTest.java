package io.github.iommufd4j.simulator.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.IovaRange;
import org.junit.jupiter.api.Test;

class LostPageOracleTest {
    private static final long P = 4096;

    @Test
    void pagesReportedAfterTheirWriteAreNotLost() {
        LostPageOracle o = new LostPageOracle(P);
        o.written("a", new IovaRange(0x1000000, 3 * P));
        o.reported(new IovaRange(0x1000000, 2 * P));
        assertThat(o.writtenPages()).isEqualTo(3);
        assertThat(o.reportedPages()).isEqualTo(2);
        assertThat(o.lost()).containsExactly(new LostPageOracle.LostRun("a", 0x1000000 + 2 * P, 1));
    }

    @Test
    void aWriteAfterTheReportIsPendingAgain() {
        LostPageOracle o = new LostPageOracle(P);
        o.written("a", new IovaRange(0, P));
        o.reported(new IovaRange(0, P));
        o.written("b", new IovaRange(0, P));
        assertThat(o.writtenPages()).isEqualTo(1);
        assertThat(o.reportedPages()).isZero();
        assertThat(o.lost()).containsExactly(new LostPageOracle.LostRun("b", 0, 1));
    }

    @Test
    void partialPagesCountWholeAndRunsAreSortedByDevice() {
        LostPageOracle o = new LostPageOracle(P);
        o.written("b", new IovaRange(P + 1, 2));
        o.written("a", new IovaRange(5 * P - 1, 2)); // straddles pages 4 and 5
        assertThat(o.lost()).containsExactly(new LostPageOracle.LostRun("a", 4 * P, 2), new LostPageOracle.LostRun("b", P, 1));
    }

    @Test
    void forgottenMemoryIsNeitherWrittenNorLost() {
        LostPageOracle o = new LostPageOracle(P);
        o.written("a", new IovaRange(0, 4 * P));
        o.forget(new IovaRange(0, 2 * P));
        assertThat(o.writtenPages()).isEqualTo(2);
        assertThat(o.lost()).containsExactly(new LostPageOracle.LostRun("a", 2 * P, 2));
    }

    @Test
    void aSyncCopiesEachPageOnceAndSplitsItIntoNeededOverReportedAndPerpetual() {
        LostPageOracle o = new LostPageOracle(P);
        o.written("a", new IovaRange(0, 2 * P));              // pages 0, 1 pending
        o.reported(new IovaRange(0, P));                       // container 1: page 0, precise
        o.reported(new IovaRange(0, P));                       // container 2: the same page again
        o.reported(new IovaRange(3 * P, P));                   // page 3: never written, a tracker says dirty
        o.reported(new IovaRange(P, 8 * P), true);             // pages 1..8 as perpetual dirty
        o.endSync();
        assertThat(o.costs()).isEqualTo(new DirtyCosts(9, 2, 1, 6)); // 0-8 copied; 0, 1 needed; 3 wasted; 2, 4-8 perpetual
        assertThat(o.lost()).isEmpty();
    }

    @Test
    void eachSyncCopiesAgainAndOnlyPagesWrittenSinceTheLastReportAreNeeded() {
        LostPageOracle o = new LostPageOracle(P);
        o.written("a", new IovaRange(0, P));
        o.reported(new IovaRange(0, 4 * P), true);
        o.endSync();
        o.reported(new IovaRange(0, 4 * P), true);
        o.endSync();
        assertThat(o.costs()).isEqualTo(new DirtyCosts(8, 1, 0, 7));
    }

    @Test
    void reportsSettleBeforeTheNextWriteSoAWriteAfterASyncIsPendingAgain() {
        LostPageOracle o = new LostPageOracle(P);
        o.written("a", new IovaRange(0, P));
        o.reported(new IovaRange(0, P));
        o.written("a", new IovaRange(0, P)); // no explicit endSync: the write ends the sync
        assertThat(o.lost()).containsExactly(new LostPageOracle.LostRun("a", 0, 1));
        assertThat(o.costs()).isEqualTo(new DirtyCosts(1, 1, 0, 0));
    }

    @Test
    void aTrackerReportingAgainWhatPerpetualDirtyCopiedCostsPerpetualNotWaste() {
        LostPageOracle o = new LostPageOracle(P);
        o.written("a", new IovaRange(0, P));
        o.reported(new IovaRange(0, 4 * P), true); // an untrackable device's container copies everything
        o.endSync();
        o.reported(new IovaRange(0, P));           // the tracker that saw the write reports it at the next sync
        o.reported(new IovaRange(5 * P, P));       // and a page nothing wrote, outside the perpetual report: waste
        o.endSync();
        assertThat(o.costs()).isEqualTo(new DirtyCosts(6, 1, 1, 4));
        o.reported(new IovaRange(0, P));           // reported again with no write and no perpetual report between
        o.endSync();
        assertThat(o.costs().overReported()).isEqualTo(2);
    }

    @Test
    void aCompletedMigrationKeepsItsLostPagesAndAFailedOneLosesNone() {
        LostPageOracle o = new LostPageOracle(P);
        o.written("a", new IovaRange(0, 2 * P));
        o.reported(new IovaRange(0, P));
        o.migrationEnded(true);                    // page 1 was never reported: stale at the destination
        o.reported(new IovaRange(P, P));           // a later sync cannot make it fresh there
        assertThat(o.lost()).containsExactly(new LostPageOracle.LostRun("a", P, 1));
        o.written("b", new IovaRange(4 * P, 3 * P));
        o.migrationEnded(false);                   // failed: nothing reached a destination
        assertThat(o.lost()).containsExactly(new LostPageOracle.LostRun("a", P, 1));
        assertThat(o.writtenPages()).isEqualTo(5);
        assertThat(o.reportedPages()).isEqualTo(4);
        o.forget(new IovaRange(P, P));             // the memory goes: its pages no longer count at all
        assertThat(o.lost()).isEmpty();
        assertThat(o.reportedPages()).isEqualTo(o.writtenPages());
    }
}
