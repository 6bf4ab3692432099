package io.github.iommufd4j.core;

/**
 * Which devices behind a vIOMMU the row Q-MIG-5 blocks ({@code vfio_migration_realize};
 * {@code docs/reference/qemu-rules.md}, section 5 and Q-EV-6).
 */
public enum ViommuMigrationBlocker {
    /** QEMU 9.1 to 10.2 (Q-MIG-5): every device behind a vIOMMU. */
    EVERY_DEVICE {
        @Override
        boolean blocks(boolean deviceDirtyTracking) {
            return true;
        }
    },

    /**
     * Q-EV-6 (QEMU 11.0): 0e3c1e2b2b "vfio/migration: Allow live migration with vIOMMU without VFs using device
     * dirty tracking": only a device whose own DMA logging is not disabled (V and X != off), whose tracking ranges
     * a vIOMMU would make unknown.
     */
    DEVICE_DIRTY_TRACKING_ONLY {
        @Override
        boolean blocks(boolean deviceDirtyTracking) {
            return deviceDirtyTracking;
        }
    };

    /** Whether Q-MIG-5 blocks a device behind a vIOMMU; {@code deviceDirtyTracking}: V and X != off. */
    abstract boolean blocks(boolean deviceDirtyTracking);
}
