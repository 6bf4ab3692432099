package io.github.iommufd4j.simulator.scenario;

/**
 * A host IOMMU instance of a scenario ({@code iommus[]}).
 *
 * @param id            unique among the scenario's IOMMUs
 * @param family        HWPTs are shared only within one family; default {@value #DEFAULT_FAMILY}
 * @param dirtyTracking whether it reports {@code IOMMU_HW_CAP_DIRTY_TRACKING}; default false
 * @param nestParent    whether it accepts {@code IOMMU_HWPT_ALLOC_NEST_PARENT}; default true
 */
public record IommuDef(String id, String family, boolean dirtyTracking, boolean nestParent) {
    /** The family of an IOMMU whose scenario entry names none. */
    public static final String DEFAULT_FAMILY = "default";

    public IommuDef {
        Checks.name(id, "IOMMU id");
        Checks.name(family, "family of IOMMU " + id);
    }

    /** An IOMMU with every default: family {@value #DEFAULT_FAMILY}, no dirty tracking, nest parent accepted. */
    public static IommuDef withDefaults(String id) {
        return new IommuDef(id, DEFAULT_FAMILY, false, true);
    }
}
