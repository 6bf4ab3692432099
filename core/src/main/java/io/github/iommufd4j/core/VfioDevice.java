package io.github.iommufd4j.core;

import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.HostIommuDevice;

/** QEMU's {@code VFIODevice}. Guarded by the {@link VfioIommufd} lock. */
final class VfioDevice {
    final DeviceConfig config;
    BoundDevice bound;
    HostIommuDevice hiod;
    Container container;
    Hwpt hwpt;
    /** {@code iommu_dirty_tracking}: left stale after a detach (Q-DET-3). */
    boolean iommuDirtyTracking;
    /** Migration was initialised (enable-migration not off and the device supports it). */
    boolean migrationInitialized;
    /** {@code dirty_pages_supported} of the device: VF DMA logging probed at migration init. */
    boolean vfDirtyPagesSupported;
    /** DMA logging runs on the device ({@code vbasedev->dirty_tracking}). */
    boolean dmaLoggingStarted;
    MigrationDecision migration;
    /**
     * The probe-cache key ({@link HwptPlacement#NEWEST_FIRST_PROBE_CACHE}): a small number standing for the pair
     * (IOMMU instance, group), the same for every device with the same pair; -1 when the backend does not name
     * both.
     */
    int probeKey = -1;

    VfioDevice(DeviceConfig config) {
        this.config = config;
    }

    String name() {
        return config.name();
    }

    boolean attached() {
        return container != null;
    }

    boolean mdev() {
        return bound != null && bound.mdev();
    }

    int devId() {
        return bound.devId();
    }
}
