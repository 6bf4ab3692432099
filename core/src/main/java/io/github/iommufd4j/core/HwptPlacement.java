package io.github.iommufd4j.core;

import java.util.function.Consumer;

/**
 * Which existing HWPTs of a container a device tries before one is allocated for it: the policy of the HWPT
 * search (Q-ATT-2) and, through it, of the order effects Q-ATT-4 to Q-ATT-6 ({@code docs/reference/qemu-rules.md}).
 * The search itself ({@code Autodomains#get}) is QEMU's in every case: newest first, EINVAL means "try the next",
 * any other errno stops it, and an allocation follows when nothing accepted the device.
 */
public enum HwptPlacement {
    /** QEMU (Q-ATT-2, Q-ATT-6): every HWPT of the container, newest first. */
    NEWEST_FIRST,

    /**
     * {@link #NEWEST_FIRST} with a probe cache: a HWPT that answered EINVAL for a device is not probed again, while
     * it lives, for a device behind the same IOMMU instance and group (when the backend names both). Same outcomes
     * as QEMU, fewer ATTACH calls (a differential test checks this over thousands of generated scenarios).
     */
    NEWEST_FIRST_PROBE_CACHE {
        @Override
        boolean skips(VfioDevice dev, Hwpt hwpt) {
            return hwpt.knownIncompatible(dev.probeKey);
        }

        @Override
        void incompatible(VfioDevice dev, Hwpt hwpt) {
            hwpt.rememberIncompatible(dev.probeKey);
        }
    },

    /**
     * This project's {@code safe} placement (changes Q-ATT-4, Q-ATT-5, Q-ATT-6): a device whose IOMMU reports dirty
     * tracking tries only dirty-tracking HWPTs, so order never decides whether it is tracked. When a container gets
     * its first dirty-tracking HWPT, the devices already there on a HWPT without it get the heterogeneous warning
     * they would have got had they come later.
     */
    BY_CAPABILITY {
        @Override
        boolean skips(VfioDevice dev, Hwpt hwpt) {
            return !hwpt.isDirtyTracking() && ContainerPlacement.dirtyCapable(dev);
        }

        @Override
        void allocated(Container c, boolean wasSupported, Consumer<VfioDevice> warnHeterogeneous) {
            if (c.dirtyPagesSupported && !wasSupported) {
                for (VfioDevice other : c.devices) {
                    if (!other.iommuDirtyTracking && !other.mdev()) {
                        warnHeterogeneous.accept(other);
                    }
                }
            }
        }
    };

    /** Whether the search passes over {@code hwpt} for {@code dev} without an ATTACH. */
    boolean skips(VfioDevice dev, Hwpt hwpt) {
        return false;
    }

    /** {@code hwpt} answered EINVAL for {@code dev}. */
    void incompatible(VfioDevice dev, Hwpt hwpt) {
    }

    /** A HWPT was allocated in {@code c}; {@code wasSupported} is {@code dirty_pages_supported} before it. */
    void allocated(Container c, boolean wasSupported, Consumer<VfioDevice> warnHeterogeneous) {
    }
}
