package io.github.iommufd4j.api;

/** {@code IOMMU_HW_CAP_*} bits of {@code struct iommu_hw_info.out_capabilities}. */
public enum HwCap implements BitFlag {
    /** {@code IOMMU_HW_CAP_DIRTY_TRACKING}, 6.7: the IOMMU can track dirty pages. */
    DIRTY_TRACKING(1L << 0),
    /** {@code IOMMU_HW_CAP_PCI_PASID_EXEC}, 6.15. */
    PCI_PASID_EXEC(1L << 1),
    /** {@code IOMMU_HW_CAP_PCI_PASID_PRIV}, 6.15. */
    PCI_PASID_PRIV(1L << 2),
    /** {@code IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED}. */
    PCI_ATS_NOT_SUPPORTED(1L << 3);

    private final long bit;

    HwCap(long bit) {
        this.bit = bit;
    }

    @Override
    public long bit() {
        return bit;
    }

    /**
     * A set of capabilities.
     *
     * @param caps the capabilities
     * @return the set
     */
    public static FlagSet<HwCap> setOf(HwCap... caps) {
        return FlagSet.of(HwCap.class, caps);
    }
}
