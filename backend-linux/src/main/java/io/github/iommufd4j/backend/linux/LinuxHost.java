package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.backend.linux.sys.Ioctls;
import io.github.iommufd4j.backend.linux.sys.JnaIoctls;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * What the backend talks to: the system calls and the paths of {@code /dev/iommu}, sysfs and the VFIO cdev
 * directory. Tests substitute a scripted {@link Ioctls} and a temporary sysfs tree.
 */
record LinuxHost(Supplier<Ioctls> ioctls, String iommuDevice, Path sysfs, Path vfioCdevDir) {

    static final String DEV_IOMMU = "/dev/iommu";

    /** The real machine. */
    static LinuxHost real() {
        return new LinuxHost(JnaIoctls::get, DEV_IOMMU, Path.of("/sys"), Path.of("/dev/vfio/devices"));
    }
}
