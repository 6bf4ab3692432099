package io.github.iommufd4j.simulator.scenario;

/**
 * A range of guest RAM, mapped at IOVA = guest address into every container's IOAS.
 *
 * @param iova   the first byte, not negative
 * @param length the size in bytes, positive; {@code iova + length} must not overflow
 */
public record MemoryRange(long iova, long length) {
    public MemoryRange {
        Checks.range(iova, length, "memory range");
    }

    /** The first byte past the range. */
    public long end() {
        return iova + length;
    }

    /** Whether the two ranges share a byte. */
    public boolean overlaps(MemoryRange other) {
        return iova < other.end() && other.iova < end();
    }
}
