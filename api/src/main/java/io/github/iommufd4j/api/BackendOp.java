package io.github.iommufd4j.api;

/**
 * The backend operations, named as in scenario {@code fault} steps and report {@code calls}
 * ({@code docs/reference/scenario-format.md}). {@link #UNBIND} (closing the device, {@code close(fd)} on a real kernel) is
 * this project's addition: QEMU's detach and rollback end with it.
 */
public enum BackendOp {
    /** {@code IOMMU_IOAS_ALLOC}. */
    IOAS_ALLOC,
    /** {@code IOMMU_IOAS_MAP}. */
    IOAS_MAP,
    /** {@code IOMMU_IOAS_UNMAP}. */
    IOAS_UNMAP,
    /** {@code IOMMU_DESTROY}. */
    DESTROY,
    /** {@code VFIO_DEVICE_BIND_IOMMUFD} (after opening the device). */
    BIND,
    /** Closing a bound device ({@code close(fd)}). */
    UNBIND,
    /** {@code IOMMU_GET_HW_INFO}. */
    GET_HW_INFO,
    /** {@code IOMMU_HWPT_ALLOC}. */
    HWPT_ALLOC,
    /** {@code VFIO_DEVICE_ATTACH_IOMMUFD_PT}. */
    ATTACH,
    /** {@code VFIO_DEVICE_DETACH_IOMMUFD_PT}. */
    DETACH,
    /** {@code IOMMU_HWPT_SET_DIRTY_TRACKING}. */
    SET_DIRTY_TRACKING,
    /** {@code IOMMU_HWPT_GET_DIRTY_BITMAP}. */
    GET_DIRTY_BITMAP,
    /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START}. */
    DMA_LOGGING_START,
    /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP}. */
    DMA_LOGGING_STOP,
    /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT}. */
    DMA_LOGGING_REPORT
}
