package io.github.iommufd4j.api;

import java.util.Objects;

/**
 * A device opened and bound to the backend's iommufd ({@code VFIO_DEVICE_BIND_IOMMUFD}).
 *
 * @param devId         the device object id ({@code out_devid}); the handle of every later device call
 * @param name          a name for messages (QEMU's {@code vbasedev->name})
 * @param mdev          a mediated device (attached straight to an IOAS, Q-ATT-9)
 * @param features      migration and VF dirty tracking support
 * @param iommuInstance the IOMMU instance the device sits behind, where known (null otherwise)
 * @param group         the device's IOMMU group, where known (null otherwise)
 */
public record BoundDevice(int devId, String name, boolean mdev, DeviceFeatures features, String iommuInstance, String group) {
    /**
     * A bound device.
     *
     * @param devId         the device object id
     * @param name          a name for messages
     * @param mdev          a mediated device
     * @param features      migration and VF dirty tracking support
     * @param iommuInstance the IOMMU instance, or null
     * @param group         the IOMMU group, or null
     * @throws NullPointerException when name or features is null
     */
    public BoundDevice {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(features, "features");
    }
}
