package io.github.iommufd4j.core;

import java.util.Objects;

/**
 * How the VMM is asked to assign one device (QEMU's {@code -device vfio-pci,...} properties that matter here).
 *
 * @param name                    the device's name in messages ({@code vbasedev->name}); unique per {@link VfioIommufd}
 * @param ref                     the backend's reference for the device, given to {@code IommufdBackend.bind}
 * @param enableMigration         {@code enable-migration} (default auto)
 * @param deviceDirtyPageTracking {@code x-device-dirty-page-tracking} (default on)
 * @param viommu                  the device sits behind a vIOMMU: an address space of its own (Q-ATT-8)
 */
public record DeviceConfig(String name, String ref, OnOffAuto enableMigration, OnOffAuto deviceDirtyPageTracking,
                           boolean viommu) {
    public DeviceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(enableMigration, "enableMigration");
        Objects.requireNonNull(deviceDirtyPageTracking, "deviceDirtyPageTracking");
    }

    /** A device with QEMU's defaults: migration auto, device dirty tracking on, no vIOMMU; ref = name. */
    public static DeviceConfig of(String name) {
        return new DeviceConfig(name, name, OnOffAuto.AUTO, OnOffAuto.ON, false);
    }

    /** The address space the device's DMA goes through: the shared system one, or its own behind a vIOMMU. */
    String addressSpaceId() {
        return viommu ? "viommu:" + name : AddressSpace.SYSTEM;
    }
}
