package io.github.iommufd4j.core;

import java.util.Optional;

/**
 * Which emulated vIOMMU a device sits behind, where the kind changes what VFIO does ({@code docs/reference/qemu-rules.md},
 * Q-ATT-8 and section 6). What each QEMU version's vIOMMU models make of a kind is the profile's
 * {@link ViommuModels}; whether VFIO asks for a nesting parent is its {@link NestingParentRequest}.
 */
public enum ViommuKind {
    /** Not behind a vIOMMU: the system address space, shared by every such device. */
    NONE(null),

    /**
     * Behind a vIOMMU that gives the device its own address space holding guest RAM as the system space does (the
     * guest left the device in an identity or passthrough domain). It asks VFIO for nothing; Q-MIG-5 applies. This
     * is what {@code viommu: true} means in scenario format version 1.
     */
    GENERIC(null),

    /**
     * {@code -device intel-iommu,caching-mode=on} with the guest's DMA remapping on: the device's address space is
     * the vIOMMU's IOMMU memory region. Its IOAS holds what the guest maps in the vIOMMU (QEMU shadows each IOTLB
     * entry through its MAP/UNMAP notifier), not guest RAM; removing the region unmaps everything at once (Q-EV-9).
     */
    INTEL_IOMMU("intel-iommu"),

    /**
     * {@code -device intel-iommu,x-flts=on}: first-stage translation. From QEMU 11.0 a host device stays on the
     * system memory region in its own address space and VFIO allocates its HWPT as a nesting parent (Q-EV-3);
     * QEMU 10.0 to 10.2 refuse host devices (see {@link ViommuModels}).
     */
    INTEL_IOMMU_X_FLTS("intel-iommu-x-flts"),

    /**
     * {@code -device arm-smmuv3,accel=on} (QEMU 11.0): every vfio-pci device behind any accelerated vSMMU shares one
     * address space aliasing system memory ({@code shared_as_sysmem}), VFIO allocates a nesting parent (Q-EV-3), and
     * the vSMMU blocks migration (Q-EV-13).
     */
    ARM_SMMUV3_ACCEL("arm-smmuv3-accel");

    /** The address space every {@link #ARM_SMMUV3_ACCEL} device shares ({@code smmuv3-accel-as-sysmem}). */
    static final String SMMUV3_ACCEL_ADDRESS_SPACE = "smmuv3-accel-as-sysmem";

    private final String spelling;

    ViommuKind(String spelling) {
        this.spelling = spelling;
    }

    /** The kind's name in scenario files ({@code intel-iommu-x-flts}); null for {@link #NONE} and {@link #GENERIC}. */
    public String spelling() {
        return spelling;
    }

    /** The kind spelled {@code text} in scenario files, if any. */
    public static Optional<ViommuKind> ofSpelling(String text) {
        for (ViommuKind k : values()) {
            if (k.spelling != null && k.spelling.equals(text)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /** The spellings scenario files may use, in declaration order. */
    public static java.util.List<String> spellings() {
        return java.util.Arrays.stream(values()).map(ViommuKind::spelling).filter(s -> s != null).toList();
    }

    /**
     * Whether the device's IOAS holds the guest's vIOMMU mappings instead of guest RAM (its DMA reaches only what
     * the guest mapped).
     *
     * @return true for a translating vIOMMU
     */
    public boolean translating() {
        return this == INTEL_IOMMU;
    }
}
