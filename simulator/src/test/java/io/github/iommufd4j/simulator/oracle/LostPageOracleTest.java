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
}
