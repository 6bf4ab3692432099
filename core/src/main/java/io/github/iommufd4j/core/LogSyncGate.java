package io.github.iommufd4j.core;

import java.util.List;

/**
 * Whether a container that logs is synced at all ({@code docs/reference/qemu-rules.md}, Q-DT-4 and Q-EV-7): QEMU's
 * {@code vfio_listener_log_sync} asks before it queries a section.
 */
public enum LogSyncGate {
    /**
     * QEMU 9.1: every container is synced while dirty logging is on (a migration runs), whatever its tracker; a
     * container without one reports perpetual dirty (Q-DT-4, third row).
     */
    WHILE_LOGGING {
        @Override
        boolean syncs(Container c, List<VfioDevice> devices) {
            return true;
        }
    },

    /**
     * Q-EV-7 (QEMU 10.0, 0ae05e087f and its series): a container is synced only once its tracker started
     * ({@code vfio_container_dirty_tracking_is_started}): its {@code dirty_pages_started}, or DMA logging running on
     * every device. A container with neither tracker is never synced, so perpetual dirty is never reached and the
     * writes of a device no tracker sees (enable-migration=on passes Q-MIG-3 with a warning) are never reported.
     * Measured on QEMU 10.0.2: a migration with only such a device makes no query and re-sends no page.
     */
    TRACKER_STARTED {
        @Override
        boolean syncs(Container c, List<VfioDevice> devices) {
            return DirtyTracking.trackingStarted(c, devices);
        }
    };

    /** Whether {@code c}, with logging on, is queried by a sync. */
    abstract boolean syncs(Container c, List<VfioDevice> devices);
}
