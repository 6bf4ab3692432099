package io.github.iommufd4j.api;

/**
 * What a bound device supports besides its IOMMU (VFIO_DEVICE_FEATURE probes on a real kernel).
 *
 * @param migration  VFIO migration ({@code VFIO_DEVICE_FEATURE_MIGRATION})
 * @param dmaLogging device (VF) dirty tracking ({@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START} probe)
 * @param p2p        the P2P migration states ({@code VFIO_MIGRATION_P2P})
 */
public record DeviceFeatures(boolean migration, boolean dmaLogging, boolean p2p) {
    /** Nothing supported. */
    public static final DeviceFeatures NONE = new DeviceFeatures(false, false, false);
}
