package io.github.iommufd4j.core;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwptAllocFlag;
import java.util.List;

/** Immutable views of the VMM's state, for callers, reports and tests. Lists are in QEMU's order (newest first). */
public final class Snapshots {
    private Snapshots() {
    }

    /**
     * The whole state.
     *
     * @param addressSpaces address spaces in creation order
     * @param devices       every device ever attached, in first-attach order, attached or not
     * @param orphans       objects whose IOMMU_DESTROY failed (QEMU only traces it): alive in the backend, known
     *                      to no container; QEMU never destroys them again (the {@code safe} profile does)
     */
    public record Topology(List<AddressSpaceView> addressSpaces, List<DeviceView> devices, List<BackendObject> orphans) {
        /** Every container of every address space, newest first. */
        public List<ContainerView> containers() {
            return addressSpaces.stream().flatMap(a -> a.containers().stream())
                    .sorted((a, b) -> Long.compare(b.sequence(), a.sequence())).toList();
        }

        /** The device called {@code name}. */
        public DeviceView device(String name) {
            return devices.stream().filter(d -> d.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no device " + name));
        }

        /** The container with this IOAS id. */
        public ContainerView container(int ioasId) {
            return containers().stream().filter(c -> c.ioasId() == ioasId).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no container with IOAS " + ioasId));
        }
    }

    /** A {@code VFIOAddressSpace}. */
    public record AddressSpaceView(String id, List<ContainerView> containers) {
    }

    /**
     * A container.
     *
     * @param ioasId              its IOAS
     * @param sequence            creation order across the VMM (larger is newer)
     * @param dirtyPagesSupported {@code dirty_pages_supported}
     * @param dirtyPagesStarted   {@code dirty_pages_started} (QEMU 10.0 field; kept by every profile)
     * @param loggingStarted      global dirty logging is on for this container
     * @param hwpts               HWPTs, newest first
     * @param devices             device names, newest first
     */
    public record ContainerView(int ioasId, long sequence, boolean dirtyPagesSupported, boolean dirtyPagesStarted,
                                boolean loggingStarted, List<HwptView> hwpts, List<String> devices) {
    }

    /** A HWPT with the flags QEMU asked for and its devices (newest first). */
    public record HwptView(int id, FlagSet<HwptAllocFlag> flags, List<String> devices) {
        /** Allocated with DIRTY_TRACKING. */
        public boolean dirtyTracking() {
            return flags.contains(HwptAllocFlag.DIRTY_TRACKING);
        }
    }

    /**
     * A device.
     *
     * @param name               its name
     * @param attached           attached now
     * @param mdev               a mediated device
     * @param ioasId             the container's IOAS, null when detached
     * @param hwptId             its HWPT, null when detached or an mdev
     * @param iommuDirtyTracking {@code iommu_dirty_tracking} (stale after detach, Q-DET-3)
     * @param hostIommu          what GET_HW_INFO returned at the last attach, null for an mdev or before
     * @param migration          the decision at the last attach that reached it, or null
     * @param dmaLoggingStarted  VF DMA logging runs
     */
    public record DeviceView(String name, boolean attached, boolean mdev, Integer ioasId, Integer hwptId,
                             boolean iommuDirtyTracking, HostIommuDevice hostIommu, MigrationDecision migration,
                             boolean dmaLoggingStarted) {
    }
}
