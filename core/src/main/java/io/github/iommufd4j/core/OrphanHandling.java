package io.github.iommufd4j.core;

/**
 * What becomes of objects whose {@code IOMMU_DESTROY} failed (a HWPT still held after a failed DETACH, Q-DET-2; a
 * destroy that failed during a rollback, Q-ATT-10): alive in the kernel, known to no container.
 */
public enum OrphanHandling {
    /** QEMU: the failure is only traced and the object stays until the iommufd is closed. */
    LEAK {
        @Override
        void afterRelease(Runnable reclaim) {
        }
    },

    /** This project's {@code safe} handling: destroyed again after each detach and each failed attach. */
    RECLAIM {
        @Override
        void afterRelease(Runnable reclaim) {
            reclaim.run();
        }
    };

    /** A device was detached, or an attach failed: {@code reclaim} destroys the orphans again. */
    abstract void afterRelease(Runnable reclaim);
}
