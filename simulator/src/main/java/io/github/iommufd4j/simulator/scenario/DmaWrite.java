package io.github.iommufd4j.simulator.scenario;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * A device write made during a {@link Step.Migrate migration}, right after dirty tracking started.
 *
 * @param device the name of the device that writes
 * @param iova   first byte written, not negative
 * @param length bytes written, positive
 */
public record DmaWrite(
        @JsonProperty(required = true) @JsonPropertyDescription("the name of the device that writes") String device,
        @JsonProperty(required = true) @JsonPropertyDescription("the first guest address written") long iova,
        @JsonProperty(required = true) @JsonPropertyDescription("the number of bytes written") long length) {
    public DmaWrite {
        Checks.name(device, "device");
        Checks.range(iova, length);
    }
}
