package io.github.iommufd4j.simulator.report;

import java.util.List;

/**
 * A container (one IOAS) at the end of the run.
 *
 * @param ioasId               the IOAS id
 * @param dirtyPagesSupported  QEMU's {@code dirty_pages_supported}
 * @param dirtyTrackingStarted QEMU's {@code dirty_tracking}
 * @param hwpts                its HWPTs, newest first
 * @param devices              its devices' names, newest first
 */
public record ContainerReport(int ioasId, boolean dirtyPagesSupported, boolean dirtyTrackingStarted,
                              List<HwptReport> hwpts, List<String> devices) {
    public ContainerReport {
        hwpts = Lists.copy(hwpts, "hwpts");
        devices = Lists.copy(devices, "devices");
    }
}
