package io.github.iommufd4j.simulator.report;

import java.util.List;

/**
 * A HWPT of a container.
 *
 * @param id      the HWPT id
 * @param flags   its allocation flags ({@code IOMMU_HWPT_ALLOC_*} names without prefix, in bit order)
 * @param devices its devices' names, newest first
 */
public record HwptReport(int id, List<String> flags, List<String> devices) {
    public HwptReport {
        flags = Lists.copy(flags, "flags");
        devices = Lists.copy(devices, "devices");
    }
}
