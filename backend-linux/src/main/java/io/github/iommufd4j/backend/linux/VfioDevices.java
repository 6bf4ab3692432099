package io.github.iommufd4j.backend.linux;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finding VFIO cdevs and what sysfs says about them: a PCI address resolves through
 * {@code /sys/bus/pci/devices/<addr>/vfio-dev/vfioN} to {@code /dev/vfio/devices/vfioN}; a cdev path finds its
 * PCI address through {@code /sys/class/vfio-dev/vfioN/device}; the IOMMU instance and group are the names
 * of the {@code iommu} and {@code iommu_group} links of the PCI device.
 */
final class VfioDevices {
    static final Pattern PCI_ADDRESS = Pattern.compile("[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]");
    private static final Pattern CDEV_NAME = Pattern.compile("vfio[0-9]+");

    private final Path sysfs;
    private final Path cdevDir;

    /** A device resolved for binding. */
    record Resolved(String ref, Path cdev, String name, String pciAddress) {
    }

    VfioDevices(Path sysfs, Path cdevDir) {
        this.sysfs = sysfs;
        this.cdevDir = cdevDir;
    }

    static boolean looksLikeDevice(String ref) {
        return PCI_ADDRESS.matcher(ref).matches() || ref.startsWith("/");
    }

    /** The cdevs in {@code /dev/vfio/devices}, by number. */
    List<String> list() {
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(cdevDir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(cdevDir, "vfio*")) {
                ds.forEach(found::add);
            } catch (IOException e) {
                return List.of();
            }
        }
        found.sort(Comparator.comparingLong(VfioDevices::cdevNumber));
        return found.stream().map(Path::toString).toList();
    }

    private static long cdevNumber(Path p) {
        String n = p.getFileName().toString();
        return CDEV_NAME.matcher(n).matches() ? Long.parseLong(n.substring(4)) : Long.MAX_VALUE;
    }

    /**
     * Resolves a reference.
     *
     * @throws IllegalArgumentException naming the reference and what sysfs lacks
     */
    Resolved resolve(String ref) {
        if (PCI_ADDRESS.matcher(ref).matches()) {
            String addr = ref.toLowerCase(java.util.Locale.ROOT);
            Path vfioDev = sysfs.resolve("bus/pci/devices").resolve(addr).resolve("vfio-dev");
            List<String> names = new ArrayList<>();
            if (Files.isDirectory(vfioDev)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(vfioDev, "vfio*")) {
                    ds.forEach(p -> names.add(p.getFileName().toString()));
                } catch (IOException e) {
                    throw new IllegalArgumentException("device " + ref + ": cannot list " + vfioDev + ": " + e.getMessage(), e);
                }
            }
            if (names.size() != 1) {
                throw new IllegalArgumentException("device " + ref + ": " + vfioDev + (names.isEmpty()
                        ? " has no vfioN entry: is the device bound to vfio-pci, and the kernel built with CONFIG_VFIO_DEVICE_CDEV?"
                        : " has several entries " + names));
            }
            return new Resolved(ref, cdevDir.resolve(names.get(0)), addr, addr);
        }
        Path cdev = Path.of(ref);
        String cdevName = cdev.getFileName() == null ? ref : cdev.getFileName().toString();
        String pci = linkName(sysfs.resolve("class/vfio-dev").resolve(cdevName).resolve("device"));
        if (pci != null && !PCI_ADDRESS.matcher(pci).matches()) {
            pci = null;
        }
        return new Resolved(ref, cdev, pci != null ? pci : cdevName, pci);
    }

    /** The IOMMU instance of PCI device {@code pciAddress} ({@code iommu} link name), or null. */
    String iommuInstance(String pciAddress) {
        return pciAddress == null ? null : linkName(sysfs.resolve("bus/pci/devices").resolve(pciAddress).resolve("iommu"));
    }

    /** The IOMMU group of PCI device {@code pciAddress} ({@code iommu_group} link name), or null. */
    String iommuGroup(String pciAddress) {
        return pciAddress == null ? null : linkName(sysfs.resolve("bus/pci/devices").resolve(pciAddress).resolve("iommu_group"));
    }

    private static String linkName(Path link) {
        try {
            if (!Files.isSymbolicLink(link)) {
                return null;
            }
            Path target = Files.readSymbolicLink(link);
            return target.getFileName() == null ? null : target.getFileName().toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
