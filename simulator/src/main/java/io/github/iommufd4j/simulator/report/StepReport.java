package io.github.iommufd4j.simulator.report;

import java.util.List;
import java.util.Objects;

/**
 * What one scenario step did.
 *
 * @param index    the step's position, from 0
 * @param op       the step's key ({@code attach}, {@code startDirtyTracking})
 * @param target   the device it acts on, or null
 * @param ok       whether the step succeeded (a failed step is an outcome, not an error of the run)
 * @param errno    the errno name of the backend call that made it fail ({@code "EINVAL"}), else null
 * @param message  QEMU's error text or a short description when it failed; null on success
 * @param calls    every backend call the step made, in order
 * @param warnings the warnings the step raised, in order
 */
public record StepReport(int index, String op, String target, boolean ok, String errno, String message,
                         List<CallReport> calls, List<String> warnings) {
    public StepReport {
        if (index < 0) {
            throw new IllegalArgumentException("step index " + index + " is negative");
        }
        Objects.requireNonNull(op, "op");
        if (ok && (errno != null || message != null)) {
            throw new IllegalArgumentException("step " + index + " (" + op + ") succeeded but has errno " + errno
                    + " / message " + message + "; both must be null on success");
        }
        calls = Lists.copy(calls, "calls");
        warnings = Lists.copy(warnings, "warnings");
    }
}
