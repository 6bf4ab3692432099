package io.github.iommufd4j.api;

/**
 * A range of I/O virtual addresses {@code [iova, iova + length)}.
 *
 * @param iova   start (unsigned)
 * @param length length in bytes (unsigned, non-zero)
 */
public record IovaRange(long iova, long length) {
    public IovaRange {
        if (length == 0) {
            throw new IllegalArgumentException("IOVA range at 0x" + Long.toHexString(iova) + " has length 0");
        }
        if (Long.compareUnsigned(iova + length - 1, iova) < 0) {
            throw new IllegalArgumentException("IOVA range 0x" + Long.toHexString(iova) + " + 0x"
                    + Long.toHexString(length) + " overflows 64 bits");
        }
    }

    /** The last byte's address. */
    public long last() {
        return iova + length - 1;
    }

    @Override
    public String toString() {
        return "[0x" + Long.toHexString(iova) + ", +0x" + Long.toHexString(length) + ")";
    }
}
