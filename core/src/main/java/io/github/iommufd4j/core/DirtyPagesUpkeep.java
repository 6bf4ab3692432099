package io.github.iommufd4j.core;

/**
 * How a container's {@code dirty_pages_supported} is kept ({@code docs/reference/qemu-rules.md}). It decides
 * whether start, stop and query use the IOMMU tracker (Q-DT-4), so a stale value loses pages (Q-DT-5).
 */
public enum DirtyPagesUpkeep {
    /**
     * QEMU (Q-ATT-3, Q-DET-3): OR-ed with the new device's {@code iommu_dirty_tracking} when a HWPT is allocated,
     * never cleared while the container lives.
     */
    STICKY_OR {
        @Override
        void allocated(Container c, VfioDevice dev) {
            c.dirtyPagesSupported |= dev.iommuDirtyTracking;
        }
    },

    /**
     * This project's {@code safe} upkeep (changes Q-ATT-3's OR and Q-DET-3): recomputed from the live HWPTs when one
     * is allocated or freed, so a container whose last dirty-tracking HWPT went falls back to another tracker.
     */
    LIVE {
        @Override
        void allocated(Container c, VfioDevice dev) {
            recompute(c);
        }

        @Override
        void freed(Container c) {
            recompute(c);
        }

        private void recompute(Container c) {
            boolean any = false;
            for (Hwpt h : c.hwpts) {
                any |= h.isDirtyTracking();
            }
            c.dirtyPagesSupported = any;
        }
    };

    /** A HWPT was allocated for {@code dev} and recorded in {@code c} (Q-ATT-3). */
    abstract void allocated(Container c, VfioDevice dev);

    /** A HWPT of {@code c} was freed (Q-DET-1). */
    void freed(Container c) {
    }
}
