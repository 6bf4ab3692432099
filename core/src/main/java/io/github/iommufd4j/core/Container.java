package io.github.iommufd4j.core;

import java.util.ArrayList;
import java.util.List;

/** QEMU's {@code VFIOIOMMUFDContainer}: one IOAS. Lists are newest first. Guarded by the {@link VfioIommufd} lock. */
final class Container {
    final int ioasId;
    final long sequence;
    final AddressSpace space;
    final List<Hwpt> hwpts = new ArrayList<>();
    final List<VfioDevice> devices = new ArrayList<>();
    /** {@code bcontainer.dirty_pages_supported}: only ever OR-ed (Q-ATT-3, Q-DET-3). */
    boolean dirtyPagesSupported;
    /** {@code dirty_pages_started} (QEMU 10.0, Q-EV-1): the state the last successful start/stop left. */
    boolean dirtyPagesStarted;
    /** Its memory listener is registered: every guest RAM section is mapped into the IOAS (Q-ATT-11). */
    boolean listening;
    /** The device that made the container had a dirty-capable IOMMU ({@link ContainerPlacement}). */
    final boolean forDirtyCapable;
    /** Whether the VMM's global dirty logging (log_global_start) is on for this container. */
    boolean loggingStarted;
    /**
     * Its address space is a vIOMMU's IOMMU memory region ({@link ViommuKind#INTEL_IOMMU}): the IOAS holds the guest's
     * vIOMMU mappings, not guest RAM, and leaving it unmaps everything at once ({@link UnmapAll}).
     */
    final boolean translating;

    Container(int ioasId, long sequence, AddressSpace space, boolean forDirtyCapable, boolean translating) {
        this.ioasId = ioasId;
        this.sequence = sequence;
        this.space = space;
        this.forDirtyCapable = forDirtyCapable;
        this.translating = translating;
    }
}
