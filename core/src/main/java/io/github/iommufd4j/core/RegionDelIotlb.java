package io.github.iommufd4j.core;

/**
 * Whether a guest RAM section that leaves a container while global dirty logging is on is unmapped with an IOTLB
 * entry, so that the iommufd unmap can read its dirty bits first ({@code vfio_listener_region_del};
 * {@code docs/reference/qemu-rules.md}, Q-EV-10). What the unmap then does is {@link DirtyBitsOnUnmap}'s; whether a
 * read-only section counts is {@link ReadOnlySections}'.
 */
public enum RegionDelIotlb {
    /** QEMU 9.1 to 10.2: RAM sections are unmapped without an IOTLB entry. */
    NONE {
        @Override
        boolean passes(boolean globalDirtyTracking) {
            return false;
        }
    },

    /**
     * Q-EV-10 (QEMU 11.0): 6e360c0617 "vfio/listener: Add missing dirty tracking in region_del" passes an identity
     * entry ({@code iova = translated_addr}) for a RAM section while {@code global_dirty_tracking} is on. (For an
     * IOMMU memory region it still passes none: the vIOMMU sends its own unmaps.)
     */
    IDENTITY_WHILE_LOGGING {
        @Override
        boolean passes(boolean globalDirtyTracking) {
            return globalDirtyTracking;
        }
    };

    /** Whether a RAM section leaving now carries an identity IOTLB entry. */
    abstract boolean passes(boolean globalDirtyTracking);
}
