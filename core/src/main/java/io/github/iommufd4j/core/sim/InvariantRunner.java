package io.github.iommufd4j.core.sim;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FaultInjection;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.ObjectInventory;
import io.github.iommufd4j.core.DeviceConfig;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.core.VfioException;
import io.github.iommufd4j.core.VfioIommufd;
import io.github.iommufd4j.core.scenario.DeviceDef;
import io.github.iommufd4j.core.scenario.IommuDef;
import io.github.iommufd4j.core.scenario.MemoryRange;
import io.github.iommufd4j.core.scenario.Scenario;
import io.github.iommufd4j.core.scenario.ScenarioProblem;
import io.github.iommufd4j.core.scenario.ScenarioValidator;
import io.github.iommufd4j.core.scenario.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a scenario on {@link VfioIommufd} step by step, the way {@link Simulator} does, and checks the
 * {@link Invariants} after every step, after the final detach of every device (and, for a profile that
 * reclaims orphans, their last reclaim, as the simulator does), and that the backend is empty then. Optionally injects one fault before the first step (the fail-nth sweep). The backend must
 * offer {@link DeviceProvisioning} and {@link ObjectInventory}; {@code dma} steps need DMA simulation and
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
        DeviceProvisioning provisioning = backend.provisioning().orElseThrow(() -> new IllegalArgumentException(
                "backend " + backend.providerName() + " cannot make devices"));
        for (DeviceDef d : scenario.devices()) {
            IommuDef i = scenario.iommu(d.iommu());
            provisioning.createDevice(new DeviceSpec(d.name(), IommuSpec.of(i.id(), i.family(), i.dirtyTracking(),
                    i.nestParent()), d.mdev(), d.vfDirtyTracking(), d.migration(), d.p2p()));
        }
        Invariants invariants = new Invariants(profile);
        VfioIommufd vmm = new VfioIommufd(invariants.observe(backend), profile, scenario.pageSize());
        for (MemoryRange m : scenario.memory()) {
            vmm.mapMemory(m.iova(), m.length());
        }
        if (fault != null) {
            faults(backend).failNth(fault.op(), fault.nth(), fault.errno());
        }
        List<String> violations = new ArrayList<>();
        int failed = 0;
        for (int i = 0; i < scenario.steps().size(); i++) {
            Step step = scenario.steps().get(i);
            String where = "after step " + i + " (" + step.opName() + (step.target() == null ? "" : " " + step.target()) + ")";
            try {
                if (!apply(step, scenario, vmm, backend)) {
                    failed++;
                }
            } catch (RuntimeException e) {
                violations.add(where + ": the step threw " + e);
            }
            invariants.check(vmm.snapshot(), inventory).forEach(v -> violations.add(where + ": " + v));
        }
        Map<BackendOp, Long> counts = backend.faultInjection().map(FaultInjection::callCounts).orElse(Map.of());
        backend.faultInjection().ifPresent(FaultInjection::clearFaults);
        for (String name : vmm.attachedDeviceNames()) {
            try {
                vmm.detach(name);
            } catch (RuntimeException e) {
                violations.add("final detach of " + name + " threw " + e);
            }
        }
        if (profile.reclaimOrphans()) {
            vmm.reclaimOrphans(); // as the simulator ends a run of such a profile
        }
        invariants.check(vmm.snapshot(), inventory).forEach(v -> violations.add("after the final detach: " + v));
        invariants.checkEmpty(inventory).forEach(v -> violations.add("after the final detach: " + v));
        return new Result(List.copyOf(violations), Map.copyOf(counts), failed);
    }

    private static FaultInjection faults(IommufdBackend backend) {
        return backend.faultInjection().orElseThrow(() -> new IllegalArgumentException(
                "backend " + backend.providerName() + " cannot inject faults"));
    }

    /** One step as the simulator runs it; false when the step failed (an outcome of the run). */
    private static boolean apply(Step step, Scenario scenario, VfioIommufd vmm, IommufdBackend backend) {
        try {
            if (step instanceof Step.Attach a) {
                DeviceDef d = scenario.device(a.device());
                vmm.attach(new DeviceConfig(d.name(), d.name(), d.enableMigration(), d.deviceDirtyPageTracking(), d.viommu()));
            } else if (step instanceof Step.Detach d) {
                vmm.detach(d.device());
            } else if (step instanceof Step.StartDirtyTracking) {
                vmm.startDirtyTracking();
            } else if (step instanceof Step.StopDirtyTracking) {
                vmm.stopDirtyTracking();
            } else if (step instanceof Step.Dma dma) {
                int devId = vmm.devId(dma.device());
                if (devId < 0) {
                    return false;
                }
                backend.dmaSimulation().orElseThrow(() -> new IllegalArgumentException(
                        "backend " + backend.providerName() + " cannot simulate DMA")).dmaWrite(devId, dma.iova(), dma.length());
            } else if (step instanceof Step.Sync s) {
                sync(vmm, s);
            } else if (step instanceof Step.MapMemory m) {
                vmm.mapMemory(m.iova(), m.length());
            } else if (step instanceof Step.UnmapMemory u) {
                vmm.unmapMemory(u.iova(), u.length());
            } else if (step instanceof Step.Fault f) {
                faults(backend).failNth(f.op(), f.nth(), f.errno());
            }
            return true;
        } catch (VfioException | IommufdException | IllegalStateException e) {
            return false;
        } catch (IllegalArgumentException e) {
            // Unmapping memory that is not mapped is a caller error the simulator reports as a failed step.
            if (step instanceof Step.UnmapMemory) {
                return false;
            }
            throw e;
        }
    }

    private static void sync(VfioIommufd vmm, Step.Sync s) {
        List<io.github.iommufd4j.api.IovaRange> memory = vmm.memory();
        VfioIommufd.SyncResult r;
        if (s.isAllMemory()) {
            if (memory.isEmpty()) {
                return;
            }
            long start = Long.MAX_VALUE;
            long end = 0;
            for (io.github.iommufd4j.api.IovaRange m : memory) {
                start = Math.min(start, m.iova());
                end = Math.max(end, m.iova() + m.length());
            }
            r = vmm.sync(start, end - start);
        } else {
            r = vmm.sync(s.iova(), s.length());
        }
        if (r.failure() != null) {
            throw r.failure();
        }
    }
}
