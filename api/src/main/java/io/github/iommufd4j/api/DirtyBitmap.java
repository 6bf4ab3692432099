package io.github.iommufd4j.api;

import java.util.Arrays;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * A dirty bitmap in the kernel's layout (K-GDB-6): bit {@code i} stands for page {@code iova + i * pageSize},
 * held in 64-bit words, bit {@code i % 64} of word {@code i / 64}. Sized for a 1 TiB guest (2^28 pages of
 * 4 KiB, 32 MiB of bits) with no per-page objects: OR, counting and iteration work a word at a time.
 * Not thread-safe; the iova a bitmap stands for is the caller's business.
 */
public final class DirtyBitmap {
    /** Largest number of 64-bit words one bitmap holds (the largest Java array, with headroom). */
    public static final int MAX_WORDS = Integer.MAX_VALUE - 8;

    private final long bitCount;
    private final long[] words;

    /**
     * A zeroed bitmap.
     *
     * @param bitCount its number of bits
     */
    public DirtyBitmap(long bitCount) {
        if (bitCount < 0) {
            throw new IllegalArgumentException("bitmap bit count " + bitCount + " is negative");
        }
        long nWords = (bitCount + 63) >>> 6;
        if (nWords > MAX_WORDS) {
            throw new IllegalArgumentException("bitmap of " + bitCount + " bits needs " + nWords
                    + " 64-bit words, more than the " + MAX_WORDS + " one Java array holds");
        }
        this.bitCount = bitCount;
        this.words = new long[(int) nWords];
    }

    /**
     * The number of pages in {@code length} bytes at {@code pageSize}: {@code ceil(length / pageSize)}.
     *
     * @param length   bytes
     * @param pageSize the page size, a power of two
     * @return the number of pages
     * @throws IllegalArgumentException for a negative length or a page size that is not a positive power of two
     */
    public static long pageCount(long length, long pageSize) {
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size " + pageSize + " is not a positive power of two");
        }
        if (length < 0) {
            throw new IllegalArgumentException("length " + Long.toUnsignedString(length) + " is negative or above 2^63");
        }
        return length / pageSize + (length % pageSize != 0 ? 1 : 0);
    }

    /**
     * The bitmap buffer size QEMU allocates (Q-DT-3).
     *
     * @param length   bytes covered
     * @param pageSize the page size, a power of two
     * @return {@code ceil(ceil(length / pageSize) / 64) * 8} bytes
     */
    public static long byteSize(long length, long pageSize) {
        return ((pageCount(length, pageSize) + 63) >>> 6) * 8;
    }

    /**
     * A zeroed bitmap with one bit per page.
     *
     * @param length   bytes covered
     * @param pageSize the page size, a power of two
     * @return the bitmap
     */
    public static DirtyBitmap forRange(long length, long pageSize) {
        return new DirtyBitmap(pageCount(length, pageSize));
    }

    /**
     * Checks, before a kernel call writes into this bitmap, that it has a bit for every page of {@code length}
     * bytes at {@code pageSize}: {@code ceil(length / pageSize)} bits, both values unsigned as the kernel reads
     * them (K-GDB-6 in {@code docs/reference/kernel-uapi.md}). Returns the number of 64-bit words the kernel
     * writes for that range, which is what a native buffer for the call must hold. A page size of 0 passes with
     * 0 words: the kernel answers it with EINVAL (K-GDB-4), so no caller refuses it first.
     *
     * @param call     what is being asked, for the message ({@code "GET_DIRTY_BITMAP(hwpt 5, ...)"}, or empty);
     *                 asked only when the check fails
     * @param length   the range's length in bytes, unsigned
     * @param pageSize the page size, unsigned
     * @return the number of 64-bit words the kernel writes for the range
     * @throws IllegalArgumentException when the range has more pages than this bitmap has bits, or needs more
     *                                  than the {@link #MAX_WORDS} words any bitmap can hold
     */
    public long requireCapacity(Supplier<String> call, long length, long pageSize) {
        if (pageSize == 0) {
            return 0;
        }
        long pages = Long.divideUnsigned(length, pageSize) + (Long.remainderUnsigned(length, pageSize) != 0 ? 1 : 0);
        long words = (pages >>> 6) + ((pages & 63) != 0 ? 1 : 0);
        if (words <= MAX_WORDS && Long.compareUnsigned(bitCount, pages) >= 0) {
            return words;
        }
        String asked = call == null ? null : call.get();
        String what = (asked == null || asked.isEmpty() ? "" : asked + ": ") + "bitmap of " + bitCount
                + " bits is too small for " + Long.toUnsignedString(pages) + " pages (0x" + Long.toHexString(length)
                + " bytes at page size 0x" + Long.toHexString(pageSize) + ")";
        throw new IllegalArgumentException(words <= MAX_WORDS ? what : what + ": they need " + words
                + " 64-bit words, more than a DirtyBitmap holds (" + MAX_WORDS + ")");
    }

    /**
     * Its size.
     *
     * @return the number of bits
     */
    public long bitCount() {
        return bitCount;
    }

    /**
     * Its size in words.
     *
     * @return the number of 64-bit words
     */
    public int wordCount() {
        return words.length;
    }

    /**
     * One word.
     *
     * @param index the word's index
     * @return word {@code index} (bit i of the bitmap is bit {@code i % 64} of word {@code i / 64})
     */
    public long word(int index) {
        return words[index];
    }

    /**
     * ORs bits into a word; bits past {@link #bitCount()} are dropped.
     *
     * @param index the word's index
     * @param value the bits
     */
    public void orWord(int index, long value) {
        words[index] |= value & validMask(index);
    }

    private long validMask(int index) {
        long firstBit = (long) index << 6;
        long remaining = bitCount - firstBit;
        return remaining >= 64 ? -1L : (1L << remaining) - 1;
    }

    /**
     * Sets a bit.
     *
     * @param i the bit
     */
    public void set(long i) {
        check(i);
        words[(int) (i >>> 6)] |= 1L << (i & 63);
    }

    /**
     * Reads a bit.
     *
     * @param i the bit
     * @return whether bit {@code i} is set
     */
    public boolean get(long i) {
        check(i);
        return (words[(int) (i >>> 6)] & (1L << (i & 63))) != 0;
    }

    /**
     * Sets bits {@code [from, from + count)}.
     *
     * @param from  the first bit
     * @param count how many bits
     */
    public void setRange(long from, long count) {
        if (count == 0) {
            return;
        }
        if (from < 0 || count < 0 || from + count > bitCount || from + count < 0) {
            throw new IndexOutOfBoundsException("bits [" + from + ", " + from + "+" + count + ") outside [0, " + bitCount + ")");
        }
        long to = from + count; // exclusive
        int w0 = (int) (from >>> 6);
        int w1 = (int) ((to - 1) >>> 6);
        long first = -1L << (from & 63);
        long last = -1L >>> (63 - ((to - 1) & 63));
        if (w0 == w1) {
            words[w0] |= first & last;
            return;
        }
        words[w0] |= first;
        Arrays.fill(words, w0 + 1, w1, -1L);
        words[w1] |= last;
    }

    /** Sets every bit. */
    public void setAll() {
        setRange(0, bitCount);
    }

    /** Clears every bit. */
    public void clear() {
        Arrays.fill(words, 0L);
    }

    /**
     * ORs another bitmap into this one.
     *
     * @param other a bitmap of the same bit count
     */
    public void or(DirtyBitmap other) {
        if (other.bitCount != bitCount) {
            throw new IllegalArgumentException("cannot OR a bitmap of " + other.bitCount + " bits into one of " + bitCount);
        }
        long[] a = words;
        long[] b = other.words;
        for (int i = 0; i < a.length; i++) {
            a[i] |= b[i];
        }
    }

    /**
     * Counts the set bits.
     *
     * @return the number of set bits
     */
    public long cardinality() {
        long n = 0;
        for (long w : words) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /**
     * Whether no bit is set.
     *
     * @return true when no bit is set
     */
    public boolean isEmpty() {
        for (long w : words) {
            if (w != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Finds a set bit.
     *
     * @param from where to start
     * @return the first set bit at or after {@code from}, or -1
     */
    public long nextSetBit(long from) {
        if (from < 0) {
            from = 0;
        }
        if (from >= bitCount) {
            return -1;
        }
        int wi = (int) (from >>> 6);
        long w = words[wi] & (-1L << (from & 63));
        while (true) {
            if (w != 0) {
                long bit = ((long) wi << 6) + Long.numberOfTrailingZeros(w);
                return bit < bitCount ? bit : -1;
            }
            if (++wi == words.length) {
                return -1;
            }
            w = words[wi];
        }
    }

    /**
     * Finds a clear bit.
     *
     * @param from where to start
     * @return the first clear bit at or after {@code from}, or {@link #bitCount()}
     */
    public long nextClearBit(long from) {
        if (from < 0) {
            from = 0;
        }
        if (from >= bitCount) {
            return bitCount;
        }
        int wi = (int) (from >>> 6);
        long w = ~words[wi] & (-1L << (from & 63));
        while (true) {
            if (w != 0) {
                return Math.min(bitCount, ((long) wi << 6) + Long.numberOfTrailingZeros(w));
            }
            if (++wi == words.length) {
                return bitCount;
            }
            w = ~words[wi];
        }
    }

    /**
     * Visits the set bits, in increasing order.
     *
     * @param action called with each set bit
     */
    public void forEachSetBit(LongConsumer action) {
        for (int wi = 0; wi < words.length; wi++) {
            long w = words[wi];
            while (w != 0) {
                action.accept(((long) wi << 6) + Long.numberOfTrailingZeros(w));
                w &= w - 1;
            }
        }
    }

    /** A run of consecutive set bits. */
    @FunctionalInterface
    public interface RunConsumer {
        /**
         * Bits {@code [first, first + count)} are set, and the bits around them are not.
         *
         * @param first the run's first bit
         * @param count its length
         */
        void accept(long first, long count);
    }

    /**
     * Visits the maximal runs of set bits, in increasing order.
     *
     * @param action called with each run
     */
    public void forEachRun(RunConsumer action) {
        long start = nextSetBit(0);
        while (start >= 0) {
            long end = nextClearBit(start);
            action.accept(start, end - start);
            start = end < bitCount ? nextSetBit(end) : -1;
        }
    }

    private void check(long i) {
        if (i < 0 || i >= bitCount) {
            throw new IndexOutOfBoundsException("bit " + i + " outside [0, " + bitCount + ")");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DirtyBitmap b && b.bitCount == bitCount && Arrays.equals(b.words, words);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bitCount) * 31 + Arrays.hashCode(words);
    }

    @Override
    public String toString() {
        return "DirtyBitmap[" + bitCount + " bits, " + cardinality() + " set]";
    }
}
