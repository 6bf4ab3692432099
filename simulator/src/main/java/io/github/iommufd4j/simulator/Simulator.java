package io.github.iommufd4j.simulator;

import io.github.iommufd4j.core.OrphanHandling;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.FaultInjectingBackend;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.api.IommufdBackends;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.api.BackendCall;
import io.github.iommufd4j.core.DeviceConfig;
import io.github.iommufd4j.core.Diagnostic;
import io.github.iommufd4j.simulator.oracle.DirtyCosts;
import io.github.iommufd4j.simulator.oracle.LostPageOracle;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.api.RecordingBackend;
import io.github.iommufd4j.core.Snapshots;
import io.github.iommufd4j.core.VfioException;
import io.github.iommufd4j.core.VfioIommufd;
import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.ContainerReport;
import io.github.iommufd4j.simulator.report.DeviceReport;
import io.github.iommufd4j.simulator.report.DirtyReport;
import io.github.iommufd4j.simulator.report.HwptReport;
import io.github.iommufd4j.simulator.report.MigrationReport;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.DmaWrite;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.ScenarioProblem;
import io.github.iommufd4j.simulator.scenario.ScenarioValidator;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Runs a scenario through {@link VfioIommufd} on a backend and builds the report of {@code docs/reference/scenario-format.md}.
 * Each run opens its own backend instance and closes it; a simulator holds no state between runs and may be
 * used from several threads.
 */
public final class Simulator {
    /** QEMU's refusal of {@code migrate} while a migration runs (here: dirty tracking started by a step). */
    public static final String MIGRATION_ACTIVE = "There's a migration process in progress";
    /**
     * QEMU 10.0.2's migration error when a query of the first (setup) sync failed, as {@code query-migrate}'s
     * {@code error-desc} shows it without its strerror.
     */
    public static final String SETUP_SYNC_FAILED = "ram_save_setup failed";
    /** QEMU 10.0.2's migration error when a query of the final sync failed (without its strerror). */
    public static final String FINAL_SYNC_FAILED = "Channel error";
    /** QEMU 10.0.2's {@code device_add} of a device whose id is in use (an attached device), {@code %s} its name. */
    public static final String DUPLICATE_DEVICE = "Duplicate device ID '%s'";
    /** QEMU 10.0.2's {@code device_del} of a device that is not there (not attached), {@code %s} its name. */
    public static final String DEVICE_NOT_FOUND = "Device '%s' not found";

    /** Opens a backend by name; null: found with {@link IommufdBackends} and opened with the run's options. */
    private final Function<String, IommufdBackend> opener;

    /** A simulator that opens backends found with {@link IommufdBackends}, with the run's backend options. */
    public Simulator() {
        this(null);
    }

    /** A simulator that opens backends with {@code opener} (a backend name to an open backend). */
    public Simulator(Function<String, IommufdBackend> opener) {
        this.opener = opener;
    }

    private static IommufdBackend openByName(String name, BackendOptions options) {
        IommufdBackendProvider provider;
        try {
            provider = IommufdBackends.provider(name);
        } catch (IllegalArgumentException e) {
            throw new SimulationException(e.getMessage(), e);
        }
        try {
            return provider.open(options);
        } catch (BackendUnavailableException e) {
            throw new SimulationException("backend '" + name + "' cannot run here: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new SimulationException("backend '" + name + "' rejects its options " + options + ": " + e.getMessage(), e);
        }
    }

    /**
     * Callbacks into a running simulation, for checks between its phases (the reliability tests check invariants
     * after every step). Every method has a default that does nothing.
     */
    public interface Observer {
        /** The devices are made and guest memory is mapped; no step has run. */
        default void beforeSteps(VfioIommufd vmm, IommufdBackend backend) {
        }

        /** Step {@code index} ran; {@code report} says how. */
        default void afterStep(int index, Step step, StepReport report, VfioIommufd vmm) {
        }

        /** The last step ran; the implicit final sync and the clean-up detach come next. */
        default void afterSteps(VfioIommufd vmm, IommufdBackend backend) {
        }

        /** Every device was detached (and, for a profile that reclaims orphans, they were reclaimed). */
        default void afterCleanUp(VfioIommufd vmm, IommufdBackend backend) {
        }
    }

    private static final Observer NO_OBSERVER = new Observer() {
    };

    /**
     * Runs {@code scenario}.
     *
     * @throws SimulationException when the scenario is invalid or cannot run on the chosen backend or profile
     */
    public SimulationResult run(Scenario scenario, SimulationOptions options) {
        return run(scenario, options, NO_OBSERVER);
    }

    /** Runs {@code scenario}, calling {@code observer} between its phases. */
    public SimulationResult run(Scenario scenario, SimulationOptions options, Observer observer) {
        List<ScenarioProblem> problems = ScenarioValidator.validate(scenario);
        if (!problems.isEmpty()) {
            throw new SimulationException("invalid scenario: " + problems.stream()
                    .map(p -> p.path() + ": " + p.message()).collect(Collectors.joining("; ")));
        }
        String backendName = options.backend() != null ? options.backend()
                : scenario.backend() != null ? scenario.backend() : Scenario.DEFAULT_BACKEND;
        Profile profile;
        try {
            profile = options.composedProfile() != null ? options.composedProfile()
                    : Profile.named(options.profile() != null ? options.profile() : scenario.profileOrDefault());
        } catch (IllegalArgumentException e) {
            throw new SimulationException(e.getMessage(), e);
        }
        try (IommufdBackend backend = withFaultInjection(opener != null ? opener.apply(backendName)
                : openByName(backendName, options.backendOptions()))) {
            return new Run(scenario, profile, backendName, backend, observer).execute();
        }
    }

    /**
     * {@code opened} itself when it injects faults of its own, else {@code opened} behind a
     * {@link FaultInjectingBackend}, so that {@code fault} steps run in front of any backend.
     */
    private static IommufdBackend withFaultInjection(IommufdBackend opened) {
        return opened.faultInjection().isPresent() ? opened : new FaultInjectingBackend(opened);
    }

    /** One run: the state of a simulation in progress. */
    private static final class Run {
        private final Scenario scenario;
        private final Profile profile;
        private final String backendName;
        private final IommufdBackend backend;
        private final RecordingBackend recording;
        private final VfioIommufd vmm;
        private final LostPageOracle oracle;
        private final List<String> stepWarnings = new ArrayList<>();
        private final List<String> allWarnings = new ArrayList<>();
        private final List<StepReport> steps = new ArrayList<>();
        private final Observer observer;

        Run(Scenario scenario, Profile profile, String backendName, IommufdBackend backend, Observer observer) {
            this.observer = observer;
            this.scenario = scenario;
            this.profile = profile;
            this.backendName = backendName;
            this.backend = backend;
            this.recording = new RecordingBackend(backend);
            this.vmm = new VfioIommufd(recording, profile, scenario.pageSize());
            this.oracle = new LostPageOracle(scenario.pageSize());
            vmm.addDirtyListener(run -> oracle.reported(run.range(), run.perpetual()));
            vmm.addDiagnosticListener(d -> {
                if (d.level() == Diagnostic.Level.WARNING) {
                    stepWarnings.add(d.text());
                    allWarnings.add(d.text());
                }
            });
        }

        SimulationResult execute() {
            createDevices();
            for (MemoryRange m : scenario.memory()) {
                vmm.mapMemory(m.iova(), m.length(), m.readOnly());
            }
            recording.drain();
            observer.beforeSteps(vmm, backend);
            for (int i = 0; i < scenario.steps().size(); i++) {
                Step step = scenario.steps().get(i);
                StepReport report = runStep(i, step);
                oracle.endSync();
                steps.add(report);
                observer.afterStep(i, step, report, vmm);
            }
            observer.afterSteps(vmm, backend);
            // Faults still pending are the scenario's unfinished business, not the implicit final sync's.
            backend.faultInjection().ifPresent(f -> f.clearFaults());
            if (vmm.dirtyTrackingStarted()) {
                vmm.syncAllMemory();
            }
            recording.drain();
            Snapshots.Topology topology = vmm.snapshot();
            DirtyReport dirty = oracle.dirtyReport();
            DirtyCosts costs = oracle.costs(); // the clean-up is the VM's end, not the scenario's: not counted
            List<String> leaked = cleanUp();
            observer.afterCleanUp(vmm, backend);
            SimulationReport report = new SimulationReport(SimulationReport.FORMAT_VERSION, scenario.name(),
                    profile.name(), backendName, steps, containers(topology), devices(topology),
                    List.copyOf(allWarnings), dirty, leaked);
            return new SimulationResult(report, topology, costs);
        }

        private void createDevices() {
            DeviceProvisioning provisioning = backend.provisioning().orElseThrow(() -> new SimulationException(
                    "backend '" + backendName + "' cannot make devices from a scenario"));
            for (DeviceDef d : scenario.devices()) {
                IommuDef iommu = scenario.iommu(d.iommu());
                DeviceSpec spec = new DeviceSpec(d.name(), provisioning.iommu(iommu.id(), iommu.family(),
                        iommu.dirtyTracking(), iommu.nestParent()), d.mdev(), d.vfDirtyTracking(), d.migration(), d.p2p());
                provisioning.cannotCreate(spec).ifPresent(why -> {
                    throw new SimulationException("backend '" + backendName + "' cannot make device " + d.name() + ": " + why);
                });
                provisioning.createDevice(spec);
            }
        }

        private StepReport runStep(int index, Step step) {
            stepWarnings.clear();
            recording.drain();
            boolean ok = true;
            String errno = null;
            String message = null;
            try {
                apply(step);
            } catch (VfioException e) {
                ok = false;
                errno = e.errno() == null ? null : e.errno().name();
                message = e.qemuMessage();
            } catch (IommufdException e) {
                ok = false;
                errno = e.errno().name();
                message = e.getMessage();
            } catch (IllegalStateException | IllegalArgumentException | UnsupportedOperationException e) {
                ok = false;
                message = e.getMessage();
            }
            List<CallReport> calls = recording.drain().stream()
                    .filter(c -> c.op() != BackendOp.UNBIND)
                    .map(Run::callReport).toList();
            return new StepReport(index, step.opName(), step.target(), ok, errno, message, calls, List.copyOf(stepWarnings));
        }

        private static CallReport callReport(BackendCall c) {
            List<String> flags = c.op() == BackendOp.HWPT_ALLOC
                    ? c.flags().toList().stream().map(HwptAllocFlag::name).toList() : null;
            return new CallReport(c.op().name(), flags, c.ok() ? CallReport.OK : c.result().name(), c.args());
        }

        private void apply(Step step) {
            if (step instanceof Step.Attach a) {
                DeviceDef d = scenario.device(a.device());
                // QEMU refuses a hot-plug during a migration (Q-HP-1) before it looks at the id.
                if (!vmm.dirtyTrackingStarted() && vmm.attachedDeviceNames().contains(d.name())) {
                    throw new IllegalStateException(String.format(DUPLICATE_DEVICE, d.name()));
                }
                vmm.attach(new DeviceConfig(d.name(), d.name(), d.enableMigration(), d.deviceDirtyPageTracking(),
                        d.viommuKindOrDefault()));
            } else if (step instanceof Step.Detach d) {
                // QEMU looks the device up before it refuses an unplug during a migration (Q-HP-1).
                if (!vmm.attachedDeviceNames().contains(d.device())) {
                    throw new IllegalStateException(String.format(DEVICE_NOT_FOUND, d.device()));
                }
                vmm.detach(d.device());
            } else if (step instanceof Step.StartDirtyTracking) {
                vmm.startDirtyTracking();
            } else if (step instanceof Step.StopDirtyTracking) {
                vmm.stopDirtyTracking();
            } else if (step instanceof Step.Dma dma) {
                dma(dma);
            } else if (step instanceof Step.Sync s) {
                if (s.isAllMemory()) {
                    syncAll();
                } else {
                    sync(new IovaRange(s.iova(), s.length()));
                }
            } else if (step instanceof Step.MapMemory m) {
                vmm.mapMemory(m.iova(), m.length());
            } else if (step instanceof Step.UnmapMemory u) {
                vmm.unmapMemory(u.iova(), u.length());
                oracle.forget(new IovaRange(u.iova(), u.length()));
            } else if (step instanceof Step.Fault f) {
                backend.faultInjection().orElseThrow().failNth(f.op(), f.nth(), f.errno());
            } else if (step instanceof Step.Migrate m) {
                migrate(m);
            } else if (step instanceof Step.ViommuMap m) {
                vmm.viommuMap(m.device(), m.iova(), m.length());
            } else if (step instanceof Step.ViommuUnmap u) {
                vmm.viommuUnmap(u.device(), u.iova(), u.length());
            } else {
                throw new IllegalArgumentException("unknown step " + step);
            }
        }

        private void dma(Step.Dma dma) {
            int devId = vmm.devId(dma.device());
            if (devId < 0) {
                throw new IllegalStateException("device " + dma.device() + " is not attached");
            }
            unwritable(dma).ifPresent(why -> {
                throw new IllegalStateException(why);
            });
            backend.dmaSimulation().orElseThrow(() -> new UnsupportedOperationException(
                    "backend '" + backendName + "' cannot simulate DMA")).dmaWrite(devId, dma.iova(), dma.length());
            if (vmm.dirtyTrackingStarted()) {
                IovaRange written = new IovaRange(dma.iova(), dma.length());
                for (IovaRange m : vmm.memory()) {
                    IovaRange part = m.intersection(written);
                    if (part != null) {
                        oracle.written(dma.device(), part);
                    }
                }
            }
        }

        /**
         * QEMU's migration of the paused VM, then {@code cont} ({@code docs/reference/scenario-format.md}, {@code migrate}): refused
         * while one runs, or with the newest blocker's text while any blocker exists, with no call; else
         * {@code log_global_start} (a failure ends the migration), the writes, the setup sync and the final sync (a
         * failed query ends the migration with QEMU's error of that phase), and {@code log_global_stop}, which QEMU
         * postpones until the VM runs again (Q-DT-9) and whose failure QEMU only reports (the migration has ended).
         */
        private void migrate(Step.Migrate m) {
            if (vmm.dirtyTrackingStarted()) {
                throw new IllegalStateException(MIGRATION_ACTIVE);
            }
            for (DmaWrite w : m.dma()) {
                if (vmm.devId(w.device()) < 0) {
                    throw new IllegalStateException("device " + w.device() + " is not attached");
                }
                unwritable(new Step.Dma(w.device(), w.iova(), w.length())).ifPresent(why -> {
                    throw new IllegalStateException(why);
                });
            }
            List<String> blockers = vmm.migrationBlockers();
            if (!blockers.isEmpty()) {
                throw new IllegalStateException(blockers.get(blockers.size() - 1));
            }
            vmm.startDirtyTracking();
            boolean completed = false;
            try {
                for (DmaWrite w : m.dma()) {
                    dma(new Step.Dma(w.device(), w.iova(), w.length()));
                }
                migrationSync(SETUP_SYNC_FAILED);
                migrationSync(FINAL_SYNC_FAILED);
                completed = true;
            } finally {
                try {
                    vmm.stopDirtyTrackingAfterMigration();
                } catch (VfioException stopFailed) {
                    // QEMU prints it (error_report) and the migration's outcome stays as it was.
                }
                oracle.migrationEnded(completed);
            }
        }

        /** One sync of all memory within a migration; a failure ends the migration with {@code phaseError}. */
        private void migrationSync(String phaseError) {
            VfioIommufd.SyncResult r = vmm.syncAllMemory();
            oracle.endSync();
            if (r.failure() != null) {
                throw new VfioException(phaseError, r.failure().errno(), r.failure());
            }
        }

        /**
         * Why the IOMMU would fault the write (no call is made and nothing counts as written): it touches read-only
         * memory, or, behind a translating vIOMMU, an IOVA the guest has not mapped there.
         */
        private java.util.Optional<String> unwritable(Step.Dma dma) {
            IovaRange written = new IovaRange(dma.iova(), dma.length());
            for (IovaRange rom : vmm.readOnlyMemory()) {
                if (rom.intersection(written) != null) {
                    return java.util.Optional.of("device " + dma.device() + " cannot write read-only guest memory " + rom
                            + ": the IOMMU faults the DMA");
                }
            }
            DeviceDef d = scenario.device(dma.device());
            if (d.viommuKindOrDefault().translating()) {
                List<IovaRange> mapped = vmm.viommuMappings(dma.device());
                long covered = 0;
                for (IovaRange m : mapped) {
                    IovaRange part = m.intersection(written);
                    covered += part == null ? 0 : part.length();
                }
                if (covered != written.length()) {
                    return java.util.Optional.of("device " + dma.device() + " writes " + written + " outside its vIOMMU"
                            + " mappings " + mapped + ": the IOMMU faults the DMA");
                }
            }
            return java.util.Optional.empty();
        }

        private void syncAll() {
            VfioIommufd.SyncResult r = vmm.syncAllMemory();
            if (r.failure() != null) {
                throw r.failure();
            }
        }

        private void sync(IovaRange window) {
            VfioIommufd.SyncResult r = vmm.sync(window.iova(), window.length());
            if (r.failure() != null) {
                throw r.failure();
            }
        }

        /**
         * Ends the VM: a migration still running is cancelled (dirty tracking stopped; a failure only noted), then
         * every device still attached is detached (faults were cleared before), and what the backend still holds
         * is listed.
         */
        private List<String> cleanUp() {
            if (vmm.dirtyTrackingStarted()) {
                try {
                    vmm.stopDirtyTracking();
                } catch (RuntimeException e) {
                    allWarnings.add("clean-up stop of dirty tracking failed: " + e.getMessage());
                }
            }
            for (String name : vmm.attachedDeviceNames()) {
                try {
                    vmm.detach(name);
                } catch (RuntimeException e) {
                    allWarnings.add("clean-up detach of " + name + " failed: " + e.getMessage());
                }
            }
            if (profile.orphanHandling() == OrphanHandling.RECLAIM) {
                vmm.reclaimOrphans();
            }
            return backend.inventory().map(inv -> inv.liveObjects().stream().map(BackendObject::toString).toList())
                    .orElse(List.of());
        }

        private List<ContainerReport> containers(Snapshots.Topology t) {
            List<ContainerReport> out = new ArrayList<>();
            for (Snapshots.ContainerView c : t.containers()) {
                List<HwptReport> hwpts = c.hwpts().stream().map(h -> new HwptReport(h.id(),
                        h.flags().toList().stream().map(HwptAllocFlag::name).toList(), h.devices())).toList();
                out.add(new ContainerReport(c.ioasId(), c.dirtyPagesSupported(), c.loggingStarted(), hwpts, c.devices()));
            }
            return out;
        }

        private List<DeviceReport> devices(Snapshots.Topology t) {
            List<DeviceReport> out = new ArrayList<>();
            for (DeviceDef d : scenario.devices()) {
                Snapshots.DeviceView v = t.devices().stream().filter(x -> x.name().equals(d.name())).findFirst().orElse(null);
                if (v == null) {
                    out.add(new DeviceReport(d.name(), false, null, null, false, null));
                    continue;
                }
                MigrationReport m = v.migration() == null ? null
                        : new MigrationReport(v.migration().allowed(), v.migration().fatal(), v.migration().message());
                out.add(new DeviceReport(v.name(), v.attached(), v.ioasId(), v.hwptId(), v.iommuDirtyTracking(), m));
            }
            return out;
        }
    }
}
