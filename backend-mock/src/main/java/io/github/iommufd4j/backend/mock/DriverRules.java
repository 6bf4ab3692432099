package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;

/**
 * Where Linux's IOMMU drivers answer {@code IOMMU_HWPT_ALLOC} differently, past the checks of the iommufd core
 * (K-ALLOC-5, K-ALLOC-6): the mock reads an IOMMU's {@link IommuSpec#family() family} as its driver, and a family
 * named after a driver whose rules differ from the kernel's selftest mock answers as that driver does. Every other
 * family answers as the selftest mock's {@code mock_domain_alloc_paging_flags}, which takes any combination of the
 * paging flags the IOMMU supports.
 *
 * <p>The one such driver modelled is {@value #ARM_SMMU_V3}: Linux's {@code arm-smmu-v3} makes a nesting parent a
 * stage-2 domain, and does dirty tracking (HTTU) only on stage-1 domains, so {@code DIRTY_TRACKING} together with
 * {@code NEST_PARENT} is {@code EOPNOTSUPP}: in 6.12, {@code arm_smmu_domain_alloc_user} sets stage 2 for
 * {@code NEST_PARENT} and {@code arm_smmu_domain_finalise} answers a stage-2 domain with {@code DIRTY_TRACKING} with
 * {@code -EOPNOTSUPP}; from 6.13, {@code arm_smmu_domain_alloc_paging_flags} switches on the flags and the
 * combination falls to its {@code default: -EOPNOTSUPP}. (intel-iommu takes both on a second-stage domain when the
 * hardware has SSADS, AMD's driver takes both since it supports nesting parents: neither refuses the combination,
 * so neither needs a family of its own here.)
 */
final class DriverRules {
    /** The family the mock answers as Linux's arm-smmu-v3 driver. */
    static final String ARM_SMMU_V3 = "arm-smmu-v3";

    private DriverRules() {
    }

    /**
     * Why the driver of {@code iommu} refuses a paging domain with {@code flags} (EOPNOTSUPP), or null when it makes
     * one. Called after the core's flag checks and the IOMMU's own NEST_PARENT support.
     */
    static String refusal(IommuSpec iommu, FlagSet<HwptAllocFlag> flags) {
        if (ARM_SMMU_V3.equals(iommu.family()) && flags.contains(HwptAllocFlag.DIRTY_TRACKING)
                && flags.contains(HwptAllocFlag.NEST_PARENT)) {
            return "the arm-smmu-v3 driver of IOMMU " + iommu.id() + " makes a nesting parent a stage-2 domain and"
                    + " tracks dirty pages only on stage-1 domains: DIRTY_TRACKING with NEST_PARENT is refused";
        }
        return null;
    }
}
