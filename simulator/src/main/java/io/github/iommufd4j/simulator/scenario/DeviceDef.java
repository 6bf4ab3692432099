package io.github.iommufd4j.simulator.scenario;

import io.github.iommufd4j.core.OnOffAuto;

import java.util.Objects;

/**
 * An assigned device of a scenario ({@code devices[]}).
 *
 * @param name                    unique among the scenario's devices; used in messages; default none (required)
 * @param iommu                   the id of the {@link IommuDef} the device sits behind (required)
 * @param mdev                    a mediated device; default false
 * @param vfDirtyTracking         device (VF) DMA logging supported; default false
 * @param migration               VFIO migration supported; default true
 * @param p2p                     the P2P migration states supported; default true
 * @param enableMigration         QEMU {@code enable-migration}; default {@link OnOffAuto#AUTO}
 * @param deviceDirtyPageTracking QEMU {@code x-device-dirty-page-tracking}; default {@link OnOffAuto#ON}
 * @param viommu                  behind a vIOMMU (an address space of its own, Q-ATT-8); default false
 */
public record DeviceDef(String name, String iommu, boolean mdev, boolean vfDirtyTracking, boolean migration,
                        boolean p2p, OnOffAuto enableMigration, OnOffAuto deviceDirtyPageTracking, boolean viommu) {
    public DeviceDef {
        Checks.name(name, "device name");
        Checks.name(iommu, "IOMMU of device " + name);
        Objects.requireNonNull(enableMigration, "enableMigration of device " + name);
        Objects.requireNonNull(deviceDirtyPageTracking, "deviceDirtyPageTracking of device " + name);
    }

    /** A device behind {@code iommu} with every other field at its default. */
    public static DeviceDef withDefaults(String name, String iommu) {
        return new DeviceDef(name, iommu, false, false, true, true, OnOffAuto.AUTO, OnOffAuto.ON, false);
    }
}
