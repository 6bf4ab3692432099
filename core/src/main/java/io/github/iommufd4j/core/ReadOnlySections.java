package io.github.iommufd4j.core;

/**
 * Whether read-only guest memory (ROM: QEMU maps it without {@code IOMMU_IOAS_MAP_WRITEABLE}) takes part in dirty
 * tracking ({@code docs/reference/qemu-rules.md}, Q-EV-12). Asked by the log sync ({@code VfioIommufd#syncContainer}),
 * by the DMA-logging ranges ({@code DirtyTracking#startDmaLogging}) and by {@code VfioIommufd#unmapMemory} (whether
 * a read-only section leaving carries an IOTLB entry, {@link RegionDelIotlb}). Read-only memory is mapped in every
 * choice.
 */
public enum ReadOnlySections {
    /** QEMU 9.1 to 10.2: read-only sections are synced and logged like the others. */
    TRACKED {
        @Override
        boolean tracked(boolean readOnly) {
            return true;
        }
    },

    /**
     * Q-EV-12 (QEMU 11.0): 5c9da3d65d "vfio/listener: Bypass readonly region for dirty tracking": a read-only
     * section is never synced, is left out of the DMA-logging ranges, and leaves a container without an IOTLB
     * entry; it never becomes dirty. (68d3a2a24d, the SPR17 erratum's {@code bypass_ro}, also stops mapping read-only
     * sections into a nesting-parent container whose host IOMMU reports the erratum; not modelled: the backend's
     * IOMMUs never report it.)
     */
    SKIPPED {
        @Override
        boolean tracked(boolean readOnly) {
            return !readOnly;
        }
    };

    /** Whether a section takes part in dirty tracking. */
    abstract boolean tracked(boolean readOnly);
}
