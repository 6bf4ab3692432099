package io.github.iommufd4j.api;

import java.util.Objects;

/**
 * A device for a backend that can make devices ({@link DeviceProvisioning}).
 *
 * @param name            unique name; also the device reference given to {@link IommufdBackend#bind}
 * @param iommu           the IOMMU instance it sits behind
 * @param mdev            a mediated device
 * @param vfDirtyTracking supports device (VF) DMA logging
 * @param migration       supports VFIO migration
 * @param p2p             supports the P2P migration states
 */
public record DeviceSpec(String name, IommuSpec iommu, boolean mdev, boolean vfDirtyTracking, boolean migration,
                         boolean p2p) {
    /**
     * A spec.
     *
     * @param name            unique name
     * @param iommu           the IOMMU instance it sits behind
     * @param mdev            a mediated device
     * @param vfDirtyTracking supports device (VF) DMA logging
     * @param migration       supports VFIO migration
     * @param p2p             supports the P2P migration states
     * @throws NullPointerException when name or iommu is null
     */
    public DeviceSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(iommu, "iommu");
    }

    /**
     * A plain PCI device with migration and P2P, no VF dirty tracking.
     *
     * @param name  unique name
     * @param iommu the IOMMU instance it sits behind
     * @return the spec
     */
    public static DeviceSpec plain(String name, IommuSpec iommu) {
        return new DeviceSpec(name, iommu, false, false, true, true);
    }
}
