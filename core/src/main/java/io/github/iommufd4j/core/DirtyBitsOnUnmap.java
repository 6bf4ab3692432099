package io.github.iommufd4j.core;

/**
 * Whether QEMU's iommufd unmap reads a range's dirty bits when it unmaps it with an IOTLB entry (a vIOMMU's unmap,
 * or guest RAM leaving while dirty logging is on, {@link RegionDelIotlb}) once the container's tracking has started
 * ({@code iommufd_cdev_unmap}; {@code docs/reference/qemu-rules.md}, Q-EV-5). Unmapping drops the dirty bits of the
 * range's IOPTEs (K-UNMAP), so without the read the pages written through it and not synced yet are lost.
 */
public enum DirtyBitsOnUnmap {
    /** QEMU 9.1 to 10.2: the iommufd backend unmaps and nothing more ("TODO: Handle dma_unmap_bitmap with iotlb args"). */
    DROPPED {
        @Override
        boolean read() {
            return false;
        }
    },

    /**
     * Q-EV-5 (QEMU 11.0): 31ec4aadd0 "vfio/iommufd: Add framework code to support getting dirty bitmap before unmap",
     * f051dbeb91 "vfio/iommufd: Query dirty bitmap before DMA unmap", 374e28d876 (the query's backend flag) and
     * e98a1c7049 "vfio/iommufd: Add IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR flag support". When the container's tracking
     * has started (every device logs, or {@code dirty_pages_started}): with the IOMMU tracker, the range is queried
     * with {@code NO_CLEAR} first, unmapped even if the query failed, and the unmap's error is returned, else the
     * query's; with the device tracker (or none) it is unmapped first and then queried with flags 0.
     */
    READ {
        @Override
        boolean read() {
            return true;
        }
    };

    /** Whether an unmap with an IOTLB entry reads the range's dirty bits (once tracking has started). */
    abstract boolean read();
}
