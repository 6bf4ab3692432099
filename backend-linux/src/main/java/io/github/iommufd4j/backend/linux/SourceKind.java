package io.github.iommufd4j.backend.linux;

/**
 * What kind of kernel device a {@link SourceDevice} is: the kernel runs different code for each (a mock device's
 * {@code IOMMU_TEST_CMD}, an emulated VFIO device's iommufd access, a PCI device's IOMMU domain), so the fault
 * points of its calls differ ({@link FailNthTable}).
 */
enum SourceKind {
    /** A device of the kernel's selftest mock ({@link SelftestSource}). */
    SELFTEST,
    /** A mediated device: a VFIO cdev whose iommufd object is an access ({@link MdevSource}). */
    MDEV,
    /** A PCI device bound to vfio-pci ({@link VfioCdevSource}). */
    VFIO_PCI;

    /**
     * Whether an attached device of this kind is on a HWPT: an mdev's access is on the IOAS itself (its attach gives
     * {@code pt_id} back unchanged), so it is on no HWPT of any kind.
     */
    boolean attachesToHwpt() {
        return this != MDEV;
    }
}
