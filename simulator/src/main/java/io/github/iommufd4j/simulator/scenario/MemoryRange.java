package io.github.iommufd4j.simulator.scenario;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * A range of guest RAM, mapped at IOVA = guest address into every container's IOAS.
 *
 * @param iova     the first byte, not negative
 * @param length   the size in bytes, positive; {@code iova + length} must not overflow
 * @param readOnly read-only memory (ROM): mapped like the rest, never written by a device, and left out of dirty
 *                 tracking by the profiles that skip read-only sections (Q-EV-12); default false, and written only
 *                 when true, so a version-1 file reads and writes as before
 */
public record MemoryRange(
        @JsonProperty(required = true) @JsonPropertyDescription("the first address of the range") long iova,
        @JsonProperty(required = true) @JsonPropertyDescription("the size of the range in bytes") long length,
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean readOnly) {
    public MemoryRange {
        Checks.range(iova, length);
    }

    /** A range of writable guest RAM. */
    public MemoryRange(long iova, long length) {
        this(iova, length, false);
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
