package io.github.iommufd4j.testkit;

import io.github.iommufd4j.simulator.SimulationOptions;
import io.github.iommufd4j.simulator.Simulator;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.ForwardingIommufdBackend;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.ObjectInventory;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.core.VfioIommufd;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.ScenarioProblem;
import io.github.iommufd4j.simulator.scenario.ScenarioValidator;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a scenario through the {@link Simulator} (so the steps mean exactly what they mean in a report) and checks
 * the {@link Invariants} after every step, after the final detach of every device (and, for a profile that
 * reclaims orphans, their last reclaim), and that the backend is empty then. Optionally injects one fault before
 * the first step (the fail-nth sweep). The backend must offer {@link DeviceProvisioning} and {@link ObjectInventory}; {@code dma} steps need DMA simulation and
 * {@code fault} steps fault injection. The runner does not close the backend.
 */
public final class InvariantRunner {
    private InvariantRunner() {
    }

    /**
     * A fault injected before the first step: the {@code nth} call of {@code op} fails with {@code errno}.
     */
    public record InjectedFault(BackendOp op, int nth, Errno errno) {
        public InjectedFault {
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(errno, "errno");
            if (nth < 1) {
                throw new IllegalArgumentException("nth " + nth + " must be at least 1");
            }
        }

        @Override
        public String toString() {
            return op + "#" + nth + "=" + errno;
        }
    }

    /**
     * What a checked run found.
     *
     * @param violations every invariant violation, each prefixed with where it was seen ({@code after step 3
     *                   (attach vf0)}, {@code after the final detach}); also steps that threw an exception no
     *                   step may throw
     * @param callCounts backend calls per operation made by the steps (before the final detach)
     * @param failedSteps how many steps failed (an outcome, not a violation)
     */
    public record Result(List<String> violations, Map<BackendOp, Long> callCounts, int failedSteps) {
        /** Whether every invariant held. */
        public boolean ok() {
            return violations.isEmpty();
        }
    }

    /** Runs {@code scenario} with {@code profile} on {@code backend}, injecting {@code fault} first if not null. */
    public static Result run(Scenario scenario, Profile profile, IommufdBackend backend, InjectedFault fault) {
        List<ScenarioProblem> problems = ScenarioValidator.validate(scenario);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid scenario " + scenario.name() + ": " + problems);
        }
        ObjectInventory inventory = backend.inventory().orElseThrow(() -> new IllegalArgumentException(
                "backend " + backend.providerName() + " cannot list its objects"));
        Invariants invariants = new Invariants(profile);
        IommufdBackend notClosed = new ForwardingIommufdBackend(backend) {
            @Override
            public void close() {
                // the caller owns the backend
            }
        };
        List<String> violations = new ArrayList<>();
        int[] failed = {0};
        Map<BackendOp, Long> counts = new EnumMap<>(BackendOp.class);
        Simulator.Observer checks = new Simulator.Observer() {
            @Override
            public void beforeSteps(VfioIommufd vmm, IommufdBackend b) {
                if (fault != null) {
                    b.faultInjection().orElseThrow(() -> new IllegalArgumentException("backend " + b.providerName()
                            + " cannot inject faults")).failNth(fault.op(), fault.nth(), fault.errno());
                }
            }

            @Override
            public void afterStep(int index, Step step, StepReport report, VfioIommufd vmm) {
                if (!report.ok()) {
                    failed[0]++;
                }
                String where = "after step " + index + " (" + step.opName() + (step.target() == null ? "" : " " + step.target()) + ")";
                invariants.check(vmm.snapshot(), inventory).forEach(v -> violations.add(where + ": " + v));
            }

            @Override
            public void afterSteps(VfioIommufd vmm, IommufdBackend b) {
                b.faultInjection().ifPresent(f -> counts.putAll(f.callCounts()));
            }

            @Override
            public void afterCleanUp(VfioIommufd vmm, IommufdBackend b) {
                invariants.check(vmm.snapshot(), inventory).forEach(v -> violations.add("after the final detach: " + v));
                invariants.checkEmpty(inventory).forEach(v -> violations.add("after the final detach: " + v));
            }
        };
        try {
            new Simulator(name -> invariants.observe(notClosed)).run(scenario, SimulationOptions.of(profile), checks);
        } catch (RuntimeException e) {
            violations.add("the run threw " + e);
        }
        return new Result(List.copyOf(violations), Map.copyOf(counts), failed[0]);
    }
}
