package io.github.iommufd4j.simulator.report;

import java.util.Objects;

/**
 * A scenario device at the end of the run.
 *
 * @param name               the device's name
 * @param attached           whether it is attached
 * @param ioasId             the IOAS of its container; null when detached or never attached
 * @param hwptId             its HWPT; null when detached, never attached, or an mdev
 * @param iommuDirtyTracking QEMU's {@code iommu_dirty_tracking}, stale after a detach (Q-DET-3)
 * @param migration          the migration decision at its last attach that reached it; null if none did
 */
public record DeviceReport(String name, boolean attached, Integer ioasId, Integer hwptId, boolean iommuDirtyTracking,
                           MigrationReport migration) {
    public DeviceReport {
        Objects.requireNonNull(name, "name");
        if (!attached && (ioasId != null || hwptId != null)) {
            throw new IllegalArgumentException("device " + name + " is not attached but has ioasId " + ioasId
                    + " / hwptId " + hwptId + "; both must be null");
        }
    }
}
