package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.backend.linux.sys.Ioctls;
import io.github.iommufd4j.backend.linux.sys.JnaIoctls;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * What the backend talks to: the system calls and the paths of {@code /dev/iommu}, sysfs, the VFIO cdev
 * directory and debugfs (the fault-injection knobs). Tests substitute a scripted {@link Ioctls} and temporary
 * trees.
 */
record LinuxHost(Supplier<Ioctls> ioctls, String iommuDevice, Path sysfs, Path vfioCdevDir, Path debugfs) {

    static final String DEV_IOMMU = "/dev/iommu";
    static final Path DEBUGFS = Path.of("/sys/kernel/debug");

    /** A host with the real debugfs path. */
    LinuxHost(Supplier<Ioctls> ioctls, String iommuDevice, Path sysfs, Path vfioCdevDir) {
        this(ioctls, iommuDevice, sysfs, vfioCdevDir, DEBUGFS);
    }

    /** The real machine. */
    static LinuxHost real() {
        return new LinuxHost(JnaIoctls::get, DEV_IOMMU, Path.of("/sys"), Path.of("/dev/vfio/devices"), DEBUGFS);
    }
}
