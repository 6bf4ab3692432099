package io.github.iommufd4j.tck;

/**
 * The kinds of device a rule may ask a {@link TckFixture} for. A fixture that cannot make a kind says why
 * ({@link DeviceOffer#unavailable}); the rules that need it are then skipped with that reason.
 */
public enum DeviceKind {
    /** A PCI-like device behind an IOMMU that reports {@code IOMMU_HW_CAP_DIRTY_TRACKING}. Needed by most rules. */
    DIRTY_CAPABLE,
    /** A PCI-like device behind an IOMMU of the same family without dirty tracking (K-ALLOC-6, K-ATT-2). */
    NOT_DIRTY_CAPABLE,
    /**
     * A dirty-capable device behind an IOMMU of a second family: its HWPTs and those of {@link #DIRTY_CAPABLE}
     * devices refuse each other's devices with EINVAL (K-ATT-2). Asked for after a {@link #DIRTY_CAPABLE} one.
     */
    OTHER_FAMILY,
    /** A mediated device (an iommufd access, attached straight to an IOAS, Q-ATT-9). */
    MDEV,
    /** A device with VF dirty tracking (DMA logging) behind an IOMMU without dirty tracking (Q-DT-4 row 1). */
    VF_DIRTY_TRACKING
}
