package io.github.iommufd4j.simulator.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class PageRunsTest {

    @Test
    void mergesAdjacentAndOverlappingRuns() {
        PageRuns p = new PageRuns();
        p.add(10, 20);
        p.add(20, 25);
        p.add(5, 11);
        p.add(40, 41);
        assertThat(p.runs()).containsExactly(new PageRuns.Run(5, 20), new PageRuns.Run(40, 1));
        assertThat(p.count()).isEqualTo(21);
    }

    @Test
    void removeSplitsRuns() {
        PageRuns p = new PageRuns();
        p.add(0, 100);
        p.remove(10, 20);
        p.remove(95, 200);
        assertThat(p.runs()).containsExactly(new PageRuns.Run(0, 10), new PageRuns.Run(20, 75));
        assertThat(p.contains(9)).isTrue();
        assertThat(p.contains(10)).isFalse();
    }

    @Test
    void agreesWithASetOfPagesOnSeededRandomOperations() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 200; round++) {
            PageRuns p = new PageRuns();
            TreeSet<Long> model = new TreeSet<>();
            for (int op = 0; op < 30; op++) {
                long a = rnd.nextLong(0, 200);
                long b = a + rnd.nextLong(0, 40);
                boolean add = rnd.nextBoolean();
                if (add) {
                    p.add(a, b);
                } else {
                    p.remove(a, b);
                }
                for (long i = a; i < b; i++) {
                    if (add) {
                        model.add(i);
                    } else {
                        model.remove(i);
                    }
                }
            }
            assertThat(p.count()).as("seed %d round %d", seed, round).isEqualTo(model.size());
            for (long i = 0; i < 260; i++) {
                assertThat(p.contains(i)).as("seed %d round %d page %d", seed, round, i).isEqualTo(model.contains(i));
            }
            long prevEnd = -2;
            for (PageRuns.Run r : p.runs()) {
                assertThat(r.start()).as("runs are disjoint and not adjacent, seed %d", seed).isGreaterThan(prevEnd);
                prevEnd = r.start() + r.count();
            }
        }
    }
}
