package io.github.iommufd4j.simulator.scenario;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * A range of guest RAM, mapped at IOVA = guest address into every container's IOAS.
 *
 * @param iova   the first byte, not negative
 * @param length the size in bytes, positive; {@code iova + length} must not overflow
 */
public record MemoryRange(
        @JsonProperty(required = true) @JsonPropertyDescription("the first address of the range") long iova,
        @JsonProperty(required = true) @JsonPropertyDescription("the size of the range in bytes") long length) {
    public MemoryRange {
        Checks.range(iova, length);
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
