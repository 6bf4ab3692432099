package io.github.iommufd4j.core;

/**
 * Whether VFIO asks for {@code IOMMU_HWPT_ALLOC_NEST_PARENT} when it allocates a HWPT for a device
 * ({@code iommufd_cdev_autodomains_get}, Q-ATT-3; {@code docs/reference/qemu-rules.md}, Q-EV-3). Reuse is unchanged
 * in every choice: the flags of an existing HWPT are never compared (Q-ATT-4).
 */
public enum NestingParentRequest {
    /** QEMU 9.1 to 10.2: the flags are DIRTY_TRACKING or nothing (Q-ATT-3). */
    NEVER {
        @Override
        boolean requested(ViommuModels models, ViommuKind kind) {
            return false;
        }
    },

    /**
     * Q-EV-3 (QEMU 11.0): c3459c6bfa "vfio/iommufd: Force creating nesting parent HWPT": NEST_PARENT is OR-ed into
     * the flags (next to DIRTY_TRACKING when the IOMMU reports it: no retry without it) when the vIOMMU's flags
     * ({@code pci_device_get_viommu_flags}, vfio-pci only) carry {@code VIOMMU_FLAG_WANT_NESTING_PARENT}.
     */
    WHEN_VIOMMU_WANTS {
        @Override
        boolean requested(ViommuModels models, ViommuKind kind) {
            return models.wantsNestingParent(kind);
        }
    };

    /** Whether a new HWPT for a device behind {@code kind} is a nesting parent. */
    abstract boolean requested(ViommuModels models, ViommuKind kind);
}
