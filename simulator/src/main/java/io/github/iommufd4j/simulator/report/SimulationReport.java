package io.github.iommufd4j.simulator.report;

import java.util.List;
import java.util.Objects;

/**
 * The report of one simulation run ({@code docs/reference/scenario-format.md}, "Report"); components in JSON key order.
 *
 * @param formatVersion {@value #FORMAT_VERSION}
 * @param scenario      the scenario's name
 * @param profile       the profile run ({@code qemu-9.1}, {@code safe})
 * @param backend       the backend provider's name
 * @param steps         one per scenario step, in order
 * @param containers    the final containers, newest first (QEMU's order)
 * @param devices       one per scenario device, in the scenario's order
 * @param warnings      every warning of the run, in order
 * @param dirty         the dirty-page oracle's account
 * @param leakedObjects objects alive in the backend after the final detach ({@code "HWPT 4"}); should be empty
 */
public record SimulationReport(int formatVersion, String scenario, String profile, String backend,
                               List<StepReport> steps, List<ContainerReport> containers, List<DeviceReport> devices,
                               List<String> warnings, DirtyReport dirty, List<String> leakedObjects) {

    /** The report format version this record describes. */
    public static final int FORMAT_VERSION = 1;

    public SimulationReport {
        if (formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException("report formatVersion " + formatVersion + "; expected " + FORMAT_VERSION);
        }
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(backend, "backend");
        steps = Lists.copy(steps, "steps");
        containers = Lists.copy(containers, "containers");
        devices = Lists.copy(devices, "devices");
        warnings = Lists.copy(warnings, "warnings");
        Objects.requireNonNull(dirty, "dirty");
        leakedObjects = Lists.copy(leakedObjects, "leakedObjects");
    }
}
