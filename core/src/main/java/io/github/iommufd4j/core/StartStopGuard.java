package io.github.iommufd4j.core;

/**
 * Whether a container's start or stop of IOMMU dirty tracking is skipped when the container is already in the
 * requested state (Q-DT-1, {@code docs/reference/qemu-rules.md}). QEMU's memory layer already drops a repeated
 * global start and never stops logging that is off (Q-DT-7, every version); this guard sits below that one and
 * shows only where a container's state and the global state part, e.g. after a failed stop.
 */
public enum StartStopGuard {
    /** QEMU 9.1: every request reaches the HWPTs. */
    EVERY_REQUEST {
        @Override
        boolean alreadyDone(Container c, boolean start) {
            return false;
        }
    },

    /** Q-EV-1 (QEMU 10.0, d77e85dbd7): {@code dirty_pages_started}; nothing to do in the requested state. */
    IDEMPOTENT {
        @Override
        boolean alreadyDone(Container c, boolean start) {
            return c.dirtyPagesStarted == start;
        }
    };

    /** Whether the request changes nothing for {@code c}. */
    abstract boolean alreadyDone(Container c, boolean start);
}
