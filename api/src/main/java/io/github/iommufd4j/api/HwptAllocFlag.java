package io.github.iommufd4j.api;

/** {@code IOMMU_HWPT_ALLOC_*} flags of {@code struct iommu_hwpt_alloc.flags}. */
public enum HwptAllocFlag implements BitFlag {
    /** {@code IOMMU_HWPT_ALLOC_NEST_PARENT}, 6.7. */
    NEST_PARENT(1L << 0),
    /** {@code IOMMU_HWPT_ALLOC_DIRTY_TRACKING}, 6.7. */
    DIRTY_TRACKING(1L << 1),
    /** {@code IOMMU_HWPT_FAULT_ID_VALID}, 6.11. */
    FAULT_ID_VALID(1L << 2),
    /** {@code IOMMU_HWPT_ALLOC_PASID}, 6.15. */
    PASID(1L << 3);

    private final long bit;

    HwptAllocFlag(long bit) {
        this.bit = bit;
    }

    @Override
    public long bit() {
        return bit;
    }

    /**
     * No allocation flags.
     *
     * @return the empty set
     */
    public static FlagSet<HwptAllocFlag> none() {
        return FlagSet.none(HwptAllocFlag.class);
    }

    /**
     * A set of allocation flags.
     *
     * @param flags the flags
     * @return the set
     */
    public static FlagSet<HwptAllocFlag> setOf(HwptAllocFlag... flags) {
        return FlagSet.of(HwptAllocFlag.class, flags);
    }
}
