package io.github.iommufd4j.core;

/**
 * What row Q-MIG-3 does with {@code enable-migration=on} beyond its warning: whether it first checks the VM's
 * memory against the container's dirty-bitmap limit ({@code vfio_dirty_tracking_exceed_limit};
 * {@code docs/reference/qemu-rules.md}, Q-EV-11).
 */
public enum DirtyTrackingLimit {
    /** QEMU 9.1 to 10.2: Q-MIG-3 with {@code on} only warns. */
    NONE {
        @Override
        boolean exceeded(Container c) {
            return false;
        }
    },

    /**
     * Q-EV-11 (QEMU 11.0): 46c7633114 "vfio/migration: Add migration blocker if VM memory is too large to cause
     * unmap_bitmap failure", with e3c659fee0's {@code 1ULL} shift. Read from the merged code: the limit is
     * {@code max_dirty_bitmap_size * 8 * page}, and no iommufd container ever sets {@code max_dirty_bitmap_size}
     * (only the legacy type1 and vfio-user containers do), so for an iommufd container the limit is 0 and any VM
     * exceeds it; a container whose {@code dirty_pages_supported} is false returns "not exceeded" first. So the row
     * blocks, fatally (it is reached only with {@code on}), exactly when the container has {@code dirty_pages_supported}.
     */
    TYPE1_BITMAP_LIMIT {
        @Override
        boolean exceeded(Container c) {
            return c.dirtyPagesSupported;
        }
    };

    /** Whether the VM's memory exceeds what the container's dirty bitmaps can cover. */
    abstract boolean exceeded(Container c);
}
