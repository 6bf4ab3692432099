package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.backend.linux.sys.NativeRegion;

/**
 * A bitmap in user memory that the kernel writes ({@code GET_DIRTY_BITMAP}'s {@code data}, the DMA logging
 * report's {@code bitmap}) or reads ({@code IOMMU_TEST_CMD DIRTY}'s {@code uptr}): 64-bit words in the machine's
 * byte order, bit {@code i} in bit {@code i % 64} of word {@code i / 64} (K-GDB-6 in
 * {@code docs/reference/kernel-uapi.md}).
 */
public final class UserBitmap {
    /** Bytes per word. */
    public static final int WORD_SIZE = 8;

    private UserBitmap() {
    }

    /** The bytes to allocate for {@code words} words: at least one word, so the pointer is never null. */
    public static long bufferSize(long words) {
        return Math.max(1, words) * WORD_SIZE;
    }

    /** ORs the first {@code words} words the kernel wrote in {@code buffer} into {@code into}. */
    public static void orInto(NativeRegion buffer, long words, DirtyBitmap into) {
        for (int i = 0; i < words; i++) {
            long w = buffer.getLong((long) WORD_SIZE * i);
            if (w != 0) {
                into.orWord(i, w);
            }
        }
    }

    /** Sets bits {@code [0, count)} of {@code buffer}: every page of a range, for the kernel to read. */
    public static void setFirst(NativeRegion buffer, long count) {
        long words = (count + 63) >>> 6;
        for (long w = 0; w < words; w++) {
            long remaining = count - w * 64;
            buffer.putLong(w * WORD_SIZE, remaining >= 64 ? -1L : (1L << remaining) - 1);
        }
    }
}
