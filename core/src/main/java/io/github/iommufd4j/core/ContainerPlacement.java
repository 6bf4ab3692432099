package io.github.iommufd4j.core;


/**
 * Which existing containers of its address space a device tries before a new one is made (Q-ATT-7 and Q-ATT-8,
 * {@code docs/reference/qemu-rules.md}).
 */
public enum ContainerPlacement {
    /** QEMU (Q-ATT-7): every container of the address space, newest first. */
    ANY,

    /**
     * The alternative Zhenzhong Duan proposed on qemu-devel in July 2024, which Joao Martins declined for 9.1
     * (section 8 of the QEMU rules): devices whose IOMMU reports dirty tracking and devices whose IOMMU does not
     * never share a container. Each container then holds only dirty-tracking HWPTs or only plain ones, so its
     * {@code dirty_pages_supported} and its tracker fit every device in it. This project's reading of the idea:
     * a container takes the class of the device that made it; an mdev (no IOMMU of its own) counts as plain.
     */
    SEPARATE_DIRTY_AND_PLAIN {
        @Override
        boolean skips(VfioDevice dev, Container c) {
            return c.forDirtyCapable != dirtyCapable(dev);
        }
    };

    /** Whether {@code dev} passes over {@code c} without trying it. */
    boolean skips(VfioDevice dev, Container c) {
        return false;
    }

    /** Whether the device's IOMMU reports dirty tracking (what Q-ATT-3 would ask DIRTY_TRACKING for). */
    static boolean dirtyCapable(VfioDevice dev) {
        return Autodomains.dirtyCapable(dev.hiod);
    }
}
