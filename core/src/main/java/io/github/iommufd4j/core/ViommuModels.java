package io.github.iommufd4j.core;

/**
 * What the emulated vIOMMU device models of a QEMU build do with a host (VFIO) device, where versions differ
 * ({@code docs/reference/qemu-rules.md}, section 6): which {@link ViommuKind}s exist at all (a kind the build lacks is
 * a property QEMU refuses on its command line), the vIOMMU's answer to {@code pci_device_set_iommu_device}, its
 * {@code get_viommu_flags} (whether it wants a nesting parent, read by {@link NestingParentRequest}), and a migration
 * blocker its realize adds. Asked by {@code VfioIommufd#attach}, {@code #setIommuDevice}, {@code Autodomains} (through
 * the {@link NestingParentRequest}) and {@code MigrationRules#decide}.
 *
 * <p>Not modelled in any choice: the vIOMMU's own kernel objects and calls (11.0's vSMMU reads {@code GET_HW_INFO}
 * again, allocates an {@code IOMMU_VIOMMU}, two nested HWPTs and attaches the device to one of them; intel-iommu binds
 * nested HWPTs when the guest programs first-stage tables), which the backend API does not express, and the
 * register-level compatibility checks of 11.0 (host IOMMU type, FS1GP, SMMUv3 ID registers): a scenario's host is
 * taken to pass them.
 */
public enum ViommuModels {
    /** QEMU 9.1: intel-iommu has no first-stage translation ({@code x-flts}); there is no accelerated SMMUv3. */
    BEFORE_FIRST_STAGE,

    /**
     * QEMU 10.0 to 10.2: aa68a9fbdb "intel_iommu: Introduce a property x-flts for stage-1 translation" adds
     * {@code x-flts}, and {@code vtd_check_hiod} refuses every host device behind it ("host device is uncompatible
     * with stage-1 translation"), so the device's realize fails after VFIO attached it and it is detached again.
     */
    FIRST_STAGE_EMULATED_ONLY {
        @Override
        boolean offers(ViommuKind kind) {
            return kind != ViommuKind.ARM_SMMUV3_ACCEL;
        }

        @Override
        String setIommuDeviceRefusal(ViommuKind kind) {
            return kind == ViommuKind.INTEL_IOMMU_X_FLTS ? FIRST_STAGE_REFUSAL : null;
        }
    },

    /**
     * QEMU 11.0: host devices get nested translation. intel-iommu with {@code x-flts} (ecacfc145f, its
     * {@code get_viommu_flags}; cca621c782 and the rest of that series accept IOMMUFD host devices) and arm-smmuv3
     * with {@code accel} (6cc3a621c6 and its series) want a nesting parent (Q-EV-3); the accelerated vSMMU adds a
     * migration blocker at realize (Q-EV-13, be0cf3c8f1 "hw/arm/smmuv3: Block migration when accel is enabled").
     */
    NESTED {
        @Override
        boolean offers(ViommuKind kind) {
            return true;
        }

        @Override
        boolean wantsNestingParent(ViommuKind kind) {
            return kind == ViommuKind.INTEL_IOMMU_X_FLTS || kind == ViommuKind.ARM_SMMUV3_ACCEL;
        }

        @Override
        String migrationBlocker(ViommuKind kind) {
            return kind == ViommuKind.ARM_SMMUV3_ACCEL ? SMMUV3_ACCEL_BLOCKER : null;
        }
    };

    /** 10.0 to 10.2: {@code vtd_check_hiod} with {@code x-flts=on} (the text QEMU prints after "Failed to set vIOMMU: "). */
    static final String FIRST_STAGE_REFUSAL = "host device is uncompatible with stage-1 translation";
    /** Q-EV-13: the blocker of an accelerated vSMMU. */
    static final String SMMUV3_ACCEL_BLOCKER = "Migration not supported with SMMUv3 accelerator mode enabled";

    /** Whether this build has {@code kind} (else QEMU refuses the property on its command line). */
    boolean offers(ViommuKind kind) {
        return kind != ViommuKind.ARM_SMMUV3_ACCEL && kind != ViommuKind.INTEL_IOMMU_X_FLTS;
    }

    /** QEMU's error for a kind this build does not offer: the unknown property. */
    static String missingProperty(ViommuKind kind) {
        return kind == ViommuKind.ARM_SMMUV3_ACCEL ? "Property 'arm-smmuv3.accel' not found"
                : "Property 'intel-iommu.x-flts' not found";
    }

    /** The vIOMMU's refusal of a host device in {@code pci_device_set_iommu_device}, or null when it accepts it. */
    String setIommuDeviceRefusal(ViommuKind kind) {
        return null;
    }

    /** {@code VIOMMU_FLAG_WANT_NESTING_PARENT} in the vIOMMU's flags. */
    boolean wantsNestingParent(ViommuKind kind) {
        return false;
    }

    /** The migration blocker the vIOMMU adds when it is realized, or null. */
    String migrationBlocker(ViommuKind kind) {
        return null;
    }
}
