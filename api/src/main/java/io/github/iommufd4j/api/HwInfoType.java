package io.github.iommufd4j.api;

/** {@code enum iommu_hw_info_type}: the IOMMU family that answered GET_HW_INFO. */
public enum HwInfoType {
    /** {@code IOMMU_HW_INFO_TYPE_NONE}: no driver data. */
    NONE(0),
    /** {@code IOMMU_HW_INFO_TYPE_INTEL_VTD}. */
    INTEL_VTD(1),
    /** {@code IOMMU_HW_INFO_TYPE_ARM_SMMUV3}. */
    ARM_SMMUV3(2),
    /** {@code IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV}. */
    TEGRA241_CMDQV(3),
    /** {@code IOMMU_HW_INFO_TYPE_SELFTEST}: the kernel's selftest mock. */
    SELFTEST(0xfeedbeef),
    /** A value this enum does not list; {@link HostIommuDevice#hwInfoTypeCode()} keeps it. */
    UNKNOWN(-1);

    private final int code;

    HwInfoType(int code) {
        this.code = code;
    }

    /**
     * The kernel's value.
     *
     * @return an unsigned 32-bit number held in an {@code int}
     */
    public int code() {
        return code;
    }

    /**
     * A type by value.
     *
     * @param code the kernel's value
     * @return the type with this value, or {@link #UNKNOWN}
     */
    public static HwInfoType ofCode(int code) {
        for (HwInfoType t : values()) {
            if (t != UNKNOWN && t.code == code) {
                return t;
            }
        }
        return UNKNOWN;
    }
}
