package io.github.iommufd4j.api;

/** {@code enum iommu_hw_info_type}: the IOMMU family that answered GET_HW_INFO. */
public enum HwInfoType {
    NONE(0), INTEL_VTD(1), ARM_SMMUV3(2), TEGRA241_CMDQV(3), SELFTEST(0xfeedbeef),
    /** A value this enum does not list; {@link HostIommuDevice#hwInfoTypeCode()} keeps it. */
    UNKNOWN(-1);

    private final int code;

    HwInfoType(int code) {
        this.code = code;
    }

    /** The kernel's value (an unsigned 32-bit number held in an {@code int}). */
    public int code() {
        return code;
    }

    /** The type with this kernel value, or {@link #UNKNOWN}. */
    public static HwInfoType ofCode(int code) {
        for (HwInfoType t : values()) {
            if (t != UNKNOWN && t.code == code) {
                return t;
            }
        }
        return UNKNOWN;
    }
}
