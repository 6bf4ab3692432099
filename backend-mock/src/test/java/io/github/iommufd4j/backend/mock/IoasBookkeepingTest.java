package io.github.iommufd4j.backend.mock;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.IommuSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * What an {@link Ioas} keeps as HWPTs come and go (the largest IOPTE size, the intersection of the apertures, the
 * HWPTs in the order they came) equals what a walk over its HWPTs gives, over random sequences of additions and
 * removals: no call needs to walk every domain of an IOAS.
 */
class IoasBookkeepingTest {
    private static final long[] IOPTES = {1, 2048, 4096};
    private static final long[][] APERTURES = {{0, -1L}, {1L << 24, (1L << 31) - 1}, {0, (1L << 48) - 1},
            {0x8000_0000_0000_0000L, -1L}};

    @Test
    void keptFiguresEqualAWalkOverTheHwpts() {
        SplittableRandom random = new SplittableRandom(17);
        Ioas ioas = new Ioas(1);
        List<Hwpt> live = new ArrayList<>();
        for (int step = 0; step < 5_000; step++) {
            if (live.isEmpty() || random.nextInt(3) > 0) {
                long[] ap = APERTURES[random.nextInt(APERTURES.length)];
                IommuSpec iommu = new IommuSpec("i" + step, "f", true, true, ap[0], ap[1], IOPTES[random.nextInt(IOPTES.length)]);
                Hwpt h = new Hwpt(step + 2, ioas, iommu, false, false, false);
                ioas.hwptAdded(h);
                live.add(h);
            } else {
                Hwpt h = live.remove(random.nextInt(live.size()));
                ioas.hwptRemoved(h);
                ioas.hwptRemoved(h); // twice: no effect
            }
            long iopte = 1;
            for (Hwpt h : live) {
                iopte = Math.max(iopte, h.iommu.iopteSize());
            }
            assertThat(ioas.largestIopte()).as("step %d", step).isEqualTo(iopte);
            assertThat(ioas.hwpts).as("step %d: in the order they came", step).containsExactlyElementsOf(live);
            for (long[] r : new long[][] {{0, 0xfff}, {1L << 24, 1L << 25}, {1L << 40, (1L << 40) + 0xfff},
                    {-0x1000L, -1L}, {0x8000_0000_0000_0000L, 0x8000_0000_0000_0fffL}}) {
                boolean inside = true;
                for (Hwpt h : live) {
                    inside &= Long.compareUnsigned(r[0], h.iommu.apertureStart()) >= 0
                            && Long.compareUnsigned(r[1], h.iommu.apertureLast()) <= 0;
                }
                assertThat(ioas.insideEveryAperture(r[0], r[1])).as("step %d, range [%x, %x]", step, r[0], r[1]).isEqualTo(inside);
            }
        }
    }
}
