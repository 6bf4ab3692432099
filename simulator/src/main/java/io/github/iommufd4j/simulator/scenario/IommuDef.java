package io.github.iommufd4j.simulator.scenario;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * A host IOMMU instance of a scenario ({@code iommus[]}). The annotations are its scenario-file binding
 * (see {@link DeviceDef}).
 *
 * @param id            unique among the scenario's IOMMUs
 * @param family        HWPTs are shared only within one family; default {@value #DEFAULT_FAMILY}
 * @param dirtyTracking whether it reports {@code IOMMU_HW_CAP_DIRTY_TRACKING}; default false
 * @param nestParent    whether it accepts {@code IOMMU_HWPT_ALLOC_NEST_PARENT}; default true
 */
@JsonClassDescription("a map with at least id")
public record IommuDef(
        @JsonProperty(required = true) @JsonPropertyDescription("a unique IOMMU id such as iommu0") String id,
        @JsonProperty(defaultValue = IommuDef.DEFAULT_FAMILY) String family,
        boolean dirtyTracking,
        @JsonProperty(defaultValue = "true") boolean nestParent) {
    /** The family of an IOMMU whose scenario entry names none. */
    public static final String DEFAULT_FAMILY = "default";

    public IommuDef {
        Checks.name(id, "id");
        Checks.name(family, "family");
    }

    /** An IOMMU with every default: family {@value #DEFAULT_FAMILY}, no dirty tracking, nest parent accepted. */
    public static IommuDef withDefaults(String id) {
        return new IommuDef(id, DEFAULT_FAMILY, false, true);
    }
}
