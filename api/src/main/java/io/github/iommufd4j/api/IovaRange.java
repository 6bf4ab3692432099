package io.github.iommufd4j.api;

/**
 * A range of I/O virtual addresses {@code [iova, iova + length)}.
 *
 * @param iova   start (unsigned)
 * @param length length in bytes (unsigned, non-zero)
 */
public record IovaRange(long iova, long length) {
    /**
     * A range.
     *
     * @param iova   start (unsigned)
     * @param length length in bytes (unsigned, non-zero)
     * @throws IllegalArgumentException for length 0 or a range past 2^64
     */
    public IovaRange {
        if (length == 0) {
            throw new IllegalArgumentException("IOVA range at 0x" + Long.toHexString(iova) + " has length 0");
        }
        if (Long.compareUnsigned(iova + length - 1, iova) < 0) {
            throw new IllegalArgumentException("IOVA range 0x" + Long.toHexString(iova) + " + 0x"
                    + Long.toHexString(length) + " overflows 64 bits");
        }
    }

    /**
     * The last byte's address.
     *
     * @return {@code iova + length - 1}
     */
    public long last() {
        return iova + length - 1;
    }

    /**
     * The addresses both ranges hold.
     *
     * @param other another range
     * @return the intersection, or null when they do not meet
     */
    public IovaRange intersection(IovaRange other) {
        long start = Long.compareUnsigned(iova, other.iova) >= 0 ? iova : other.iova;
        long last = Long.compareUnsigned(last(), other.last()) <= 0 ? last() : other.last();
        return Long.compareUnsigned(start, last) <= 0 ? new IovaRange(start, last - start + 1) : null;
    }

    @Override
    public String toString() {
        return "[0x" + Long.toHexString(iova) + ", +0x" + Long.toHexString(length) + ")";
    }
}
