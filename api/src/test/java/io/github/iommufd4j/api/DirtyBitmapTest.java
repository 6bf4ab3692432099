package io.github.iommufd4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DirtyBitmapTest {

    @Test
    @DisplayName("Q-DT-3 buffer size: ceil(ceil(size / page) / 64) * 8 bytes")
    void byteSizeFollowsQemu() {
        assertThat(DirtyBitmap.byteSize(4096, 4096)).isEqualTo(8);
        assertThat(DirtyBitmap.byteSize(64 * 4096, 4096)).isEqualTo(8);
        assertThat(DirtyBitmap.byteSize(65 * 4096, 4096)).isEqualTo(16);
        assertThat(DirtyBitmap.byteSize(4097, 4096)).isEqualTo(8);
        assertThat(DirtyBitmap.byteSize(1L << 40, 4096)).isEqualTo(32L << 20); // 1 TiB: 32 MiB of bits
    }

    @Test
    @DisplayName("K-GDB-6 layout: bit i is bit i%64 of word i/64")
    void bitLayout() {
        DirtyBitmap b = new DirtyBitmap(130);
        b.set(0);
        b.set(65);
        b.set(129);
        assertThat(b.word(0)).isEqualTo(1L);
        assertThat(b.word(1)).isEqualTo(2L);
        assertThat(b.word(2)).isEqualTo(2L);
        assertThat(b.wordCount()).isEqualTo(3);
    }

    @Test
    void orWordDropsBitsPastTheEnd() {
        DirtyBitmap b = new DirtyBitmap(70);
        b.orWord(1, -1L);
        assertThat(b.cardinality()).isEqualTo(6);
        assertThat(b.get(69)).isTrue();
    }

    @Test
    void orOfTwoBitmapsIsTheUnion() {
        DirtyBitmap a = new DirtyBitmap(200);
        DirtyBitmap b = new DirtyBitmap(200);
        a.setRange(3, 10);
        b.setRange(100, 70);
        a.or(b);
        assertThat(a.cardinality()).isEqualTo(80);
        assertThat(b.cardinality()).isEqualTo(70);
        assertThatThrownBy(() -> a.or(new DirtyBitmap(199))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("199");
    }

    @Test
    void runsAndSetBitsAgreeWithABitSetOnSeededRandomBitmaps() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 300; round++) {
            int n = rnd.nextInt(1, 400);
            DirtyBitmap b = new DirtyBitmap(n);
            BitSet model = new BitSet(n);
            for (int k = 0; k < 6; k++) {
                int from = rnd.nextInt(n);
                int count = rnd.nextInt(0, n - from + 1);
                b.setRange(from, count);
                model.set(from, from + count);
            }
            assertThat(b.cardinality()).as("seed %d round %d", seed, round).isEqualTo(model.cardinality());
            List<Long> bits = new ArrayList<>();
            b.forEachSetBit(bits::add);
            assertThat(bits).as("seed %d round %d", seed, round)
                    .isEqualTo(model.stream().mapToObj(i -> (long) i).toList());
            List<long[]> runs = new ArrayList<>();
            b.forEachRun((first, count) -> runs.add(new long[] {first, count}));
            List<long[]> expected = new ArrayList<>();
            for (int i = model.nextSetBit(0); i >= 0; ) {
                int end = model.nextClearBit(i);
                expected.add(new long[] {i, end - i});
                i = model.nextSetBit(end);
            }
            assertThat(runs).as("seed %d round %d", seed, round).usingRecursiveComparison().isEqualTo(expected);
        }
    }

    @Test
    void aOneTebibyteGuestFitsAndCountsWithoutPerPageObjects() {
        DirtyBitmap b = DirtyBitmap.forRange(1L << 40, 4096);
        assertThat(b.bitCount()).isEqualTo(1L << 28);
        b.setAll();
        assertThat(b.cardinality()).isEqualTo(1L << 28);
        long[] runs = new long[1];
        b.forEachRun((f, c) -> runs[0]++);
        assertThat(runs[0]).isEqualTo(1);
    }

    @Test
    void hostileSizesAreRejectedBeforeAllocating() {
        assertThatThrownBy(() -> new DirtyBitmap(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> new DirtyBitmap(Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than");
        assertThatThrownBy(() -> DirtyBitmap.forRange(4096, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("page size 0");
        assertThatThrownBy(() -> DirtyBitmap.forRange(4096, 3000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("power of two");
        assertThatThrownBy(() -> DirtyBitmap.forRange(-4096, 4096)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DirtyBitmap(10).set(10)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new DirtyBitmap(10).setRange(5, 6)).isInstanceOf(IndexOutOfBoundsException.class);
    }
    @Test
    @DisplayName("K-GDB-6 capacity: one bit per page of the range, unsigned; the words the kernel writes are returned")
    void requireCapacityChecksOneBitPerPageAndReturnsTheWords() {
        assertThat(new DirtyBitmap(512).requireCapacity(() -> "", 2L << 20, 4096)).isEqualTo(8);
        assertThat(new DirtyBitmap(513).requireCapacity(() -> "", (2L << 20) + 1, 4096)).as("a partial page counts").isEqualTo(9);
        assertThat(new DirtyBitmap(0).requireCapacity(() -> "", 4096, 0)).as("page size 0: the kernel's EINVAL").isZero();
        assertThat(new DirtyBitmap(2).requireCapacity(() -> "", -1L, Long.MIN_VALUE)).as("2^64 - 1 bytes at 2^63: 2 pages")
                .isEqualTo(1);
        assertThatThrownBy(() -> new DirtyBitmap(511).requireCapacity(() -> "GET_DIRTY_BITMAP(hwpt 5)", 2L << 20, 4096))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("GET_DIRTY_BITMAP(hwpt 5): bitmap of 511 bits is too small for 512 pages"
                        + " (0x200000 bytes at page size 0x1000)");
        assertThatThrownBy(() -> new DirtyBitmap(64).requireCapacity(() -> "", -1L, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too small for 18446744073709551615 pages")
                .hasMessageContaining("more than a DirtyBitmap holds");
    }
}
