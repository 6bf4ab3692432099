package io.github.iommufd4j.core;

import java.util.Objects;

/**
 * How the VMM is asked to assign one device (QEMU's {@code -device vfio-pci,...} properties that matter here).
 *
 * @param name                    the device's name in messages ({@code vbasedev->name}); unique per {@link VfioIommufd}
 * @param ref                     the backend's reference for the device, given to {@code IommufdBackend.bind}
 * @param enableMigration         {@code enable-migration} (default auto)
 * @param deviceDirtyPageTracking {@code x-device-dirty-page-tracking} (default on)
 * @param viommuKind              the vIOMMU the device sits behind: {@link ViommuKind#NONE} for none,
 *                                {@link ViommuKind#GENERIC} for one that asks nothing of VFIO
 */
public record DeviceConfig(String name, String ref, OnOffAuto enableMigration, OnOffAuto deviceDirtyPageTracking,
                           ViommuKind viommuKind) {
    public DeviceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(enableMigration, "enableMigration");
        Objects.requireNonNull(deviceDirtyPageTracking, "deviceDirtyPageTracking");
        Objects.requireNonNull(viommuKind, "viommuKind");
    }

    /** A device behind no vIOMMU ({@code viommu} false), or behind a {@link ViommuKind#GENERIC} one. */
    public DeviceConfig(String name, String ref, OnOffAuto enableMigration, OnOffAuto deviceDirtyPageTracking,
                        boolean viommu) {
        this(name, ref, enableMigration, deviceDirtyPageTracking, viommu ? ViommuKind.GENERIC : ViommuKind.NONE);
    }

    /** Whether the device sits behind a vIOMMU: an address space of its own (Q-ATT-8). */
    public boolean viommu() {
        return viommuKind != ViommuKind.NONE;
    }

    /** A device with QEMU's defaults: migration auto, device dirty tracking on, no vIOMMU; ref = name. */
    public static DeviceConfig of(String name) {
        return new DeviceConfig(name, name, OnOffAuto.AUTO, OnOffAuto.ON, false);
    }

    /** This device behind a vIOMMU of {@code kind} ({@link ViommuKind#NONE}: behind none). */
    public DeviceConfig behind(ViommuKind kind) {
        return new DeviceConfig(name, ref, enableMigration, deviceDirtyPageTracking, kind);
    }

    /**
     * The address space the device's DMA goes through (Q-ATT-8): the shared system one; its own behind a vIOMMU; the
     * one address space every device behind an accelerated arm-smmuv3 shares ({@code shared_as_sysmem}).
     */
    String addressSpaceId() {
        return switch (viommuKind) {
            case NONE -> AddressSpace.SYSTEM;
            case ARM_SMMUV3_ACCEL -> ViommuKind.SMMUV3_ACCEL_ADDRESS_SPACE;
            default -> "viommu:" + name;
        };
    }
}
