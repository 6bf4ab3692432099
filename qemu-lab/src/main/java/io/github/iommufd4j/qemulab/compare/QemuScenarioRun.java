package io.github.iommufd4j.qemulab.compare;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.FaultInjection;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.qemulab.LabConfig;
import io.github.iommufd4j.qemulab.LabDevice;
import io.github.iommufd4j.qemulab.LabEntry;
import io.github.iommufd4j.qemulab.LabException;
import io.github.iommufd4j.qemulab.LabLog;
import io.github.iommufd4j.qemulab.LabSession;
import io.github.iommufd4j.qemulab.QemuInstallation;
import io.github.iommufd4j.simulator.oracle.LostPageOracle;
import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.DeviceReport;
import io.github.iommufd4j.simulator.report.ContainerReport;
import io.github.iommufd4j.simulator.report.DirtyReport;
import io.github.iommufd4j.simulator.report.MigrationReport;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.DmaWrite;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * Runs a scenario on the real QEMU over the lab and writes what happened as a report of {@code docs/reference/scenario-format.md},
 * so that it can be compared with core's: {@code attach} is {@code device_add}, {@code detach} is {@code device_del}
 * plus the guest's eject, {@code migrate} is QMP {@code migrate} from the paused VM then {@code cont} (QEMU runs the
 * tracking stop then), {@code dma} and {@code fault} act on the mock behind the scripted kernel.
 *
 * <p>Where the report's values come from: calls from the backend calls QEMU made during the step (UNBIND left out,
 * as in core's reports); warnings from QEMU's stderr lines {@code warning: ...} of the step; a step's message from
 * QMP's error ({@link QemuTexts}); a migration's from {@code query-migrate}'s {@code error-desc}, its errno the first
 * failed call's; each device's migration decision from the blockers its realize added ({@code query-migrate}'s
 * {@code blocked-reasons} before and after) or the realize error; the topology from the calls ({@link QemuView});
 * lost pages from the lab's own oracle over the writes it made and what the queries answered (see {@link #dirty}).
 * Not observable, so written as {@code false} and left out of the comparison: a container's
 * {@code dirtyPagesSupported} and {@code dirtyTrackingStarted}, a device's {@code iommuDirtyTracking}.
 */
public final class QemuScenarioRun {
    /** The profile core runs for the comparison, whatever the scenario names. */
    public static final String PROFILE = "qemu-10.0";
    private static final Set<String> QUERIES = Set.of("GET_DIRTY_BITMAP", "DMA_LOGGING_REPORT");
    private static final Pattern MIGRATION_REFUSAL = Pattern.compile(".*: (Migration is disabled for VFIO device"
            + "|VFIO migration is not supported in kernel|VFIO device doesn't support device and IOMMU dirty tracking"
            + "|Migration is currently not supported with vIOMMU enabled)|Multiple VFIO devices migration is supported"
            + " only if all of them support P2P migration|.*: Migration couldn't be initialized for VFIO device, err: .*");

    private final QemuInstallation installation;
    private final Scenario scenario;
    private LabSession session;
    private LabLog log;
    private final QemuView view = new QemuView();
    private long viewedUpTo;
    private final LinkedHashSet<String> attached = new LinkedHashSet<>();
    private final Map<String, MigrationReport> migration = new HashMap<>();
    private final LostPageOracle oracle = new LostPageOracle(LabReach.PAGE_SIZE);
    private final List<StepReport> steps = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private int stderrSeen;
    private int collapsedSyncs;

    /**
     * What a run gave.
     *
     * @param report         QEMU's report (profile {@code QEMU 10.0.2}, backend {@code mock})
     * @param collapsedSyncs syncs QEMU made beyond the two of the format that reported nothing and were left out
     * @param errors         QEMU's other stderr lines (error_report), names mapped back; not compared
     * @param log            the lab's log of the run
     */
    public record Result(SimulationReport report, int collapsedSyncs, List<String> errors, LabLog log) {
    }

    private QemuScenarioRun(QemuInstallation installation, Scenario scenario) {
        this.installation = installation;
        this.scenario = scenario;
    }

    /** Runs {@code scenario}, which must be in the lab's reach ({@link LabReach}), on a fresh QEMU. */
    public static Result run(QemuInstallation installation, Scenario scenario) {
        LabReach.outOfReach(scenario).ifPresent(why -> {
            throw new IllegalArgumentException("scenario " + scenario.name() + " is out of the lab's reach: " + why);
        });
        return new QemuScenarioRun(installation, scenario).execute();
    }

    /** The lab's devices of a scenario: slot 3 up in file order, the mock's IOMMU geometry, QEMU's properties. */
    public static LabConfig labConfig(Scenario s) {
        List<LabDevice> devices = new ArrayList<>();
        int slot = LabDevice.FIRST_SLOT;
        for (DeviceDef d : s.devices()) {
            IommuDef i = s.iommu(d.iommu());
            // The mock's geometry, as core's simulator asks DeviceProvisioning.iommu: the whole 64-bit space.
            IommuSpec iommu = IommuSpec.of(i.id(), i.family(), i.dirtyTracking(), i.nestParent());
            devices.add(new LabDevice(d.name(), iommu, d.vfDirtyTracking(), d.migration(), d.p2p(),
                    d.enableMigration().spelling(), d.deviceDirtyPageTracking().spelling(), slot++));
        }
        return LabConfig.of(devices);
    }

    private Result execute() {
        session = LabSession.start(installation, labConfig(scenario));
        try {
            log = session.log();
            // downtime-limit 0: QEMU completes once nothing is pending and never asks for the exact pending size
            // midway, which would sync once more; so a migration syncs exactly twice (setup, completion).
            session.qmp().execute("migrate-set-parameters", Map.of("downtime-limit", 0), session.config().timeout());
            stderrSeen = session.stderr().size();
            for (int i = 0; i < scenario.steps().size(); i++) {
                steps.add(runStep(i, scenario.steps().get(i)));
                oracle.endSync();
            }
            session.mock().faultInjection().ifPresent(FaultInjection::clearFaults);
            catchUp();
            List<DeviceReport> devices = devices();
            DirtyReport dirty = oracle.dirtyReport();
            List<ContainerReport> containers = view.containers();
            List<String> warned = List.copyOf(warnings);
            List<String> leaked = cleanUp(); // after the state above was taken, as the simulator does
            SimulationReport report = new SimulationReport(SimulationReport.FORMAT_VERSION, scenario.name(),
                    "QEMU " + installation.version().replaceAll(".*version ([0-9.]+).*", "$1"), "mock", steps,
                    containers, devices, warned, dirty, leaked);
            return new Result(report, collapsedSyncs, List.copyOf(errors), log);
        } catch (RuntimeException e) {
            throw new LabException("scenario " + scenario.name() + " broke the lab: " + e.getMessage() + "\nthe log ends with:\n"
                    + (log == null ? "(no log)" : log.tail(15)) + "QEMU's stderr: " + session.stderr(), e);
        } finally {
            session.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ steps

    private StepReport runStep(int index, Step step) {
        long mark = log.mark();
        Outcome o;
        if (step instanceof Step.Attach a) {
            o = attach(a.device());
        } else if (step instanceof Step.Detach d) {
            o = detach(d.device());
        } else if (step instanceof Step.Migrate m) {
            o = migrate(m, mark);
        } else if (step instanceof Step.Dma d) {
            o = dma(d);
        } else if (step instanceof Step.Fault f) {
            session.failNth(f.op(), f.nth(), f.errno());
            o = Outcome.OK;
        } else {
            throw new IllegalArgumentException("step " + index + " (" + step.opName() + ") is out of the lab's reach");
        }
        List<LabEntry> entries = log.since(mark);
        List<LabEntry> calls = LabLog.backendCalls(entries);
        if (step instanceof Step.Migrate) {
            calls = collapseEmptySyncs(calls);
        }
        catchUp();
        List<String> stepWarnings = newStderr();
        return new StepReport(index, step.opName(), step.target(), o.ok, o.errno, o.message,
                calls.stream().filter(e -> !e.op().equals("UNBIND")).map(QemuScenarioRun::callReport).toList(),
                stepWarnings);
    }

    private record Outcome(boolean ok, String errno, String message) {
        static final Outcome OK = new Outcome(true, null, null);

        static Outcome failed(String errno, String message) {
            return new Outcome(false, errno, message);
        }
    }

    private Outcome attach(String device) {
        List<String> before = session.blockers();
        LabSession.StepOutcome out = session.hotplug(device);
        List<String> added = new ArrayList<>(session.blockers());
        for (String b : before) {
            added.remove(b);
        }
        boolean askedMigration = out.entries().stream().anyMatch(e -> e.is(LabEntry.Kind.KERNEL, "MIGRATION"));
        if (out.ok()) {
            attached.remove(device);
            attached.add(device);
            if (!added.isEmpty()) {
                migration.put(device, new MigrationReport(false, false, session.withDeviceNames(added.get(0))));
            } else if (askedMigration) {
                migration.put(device, new MigrationReport(true, false, null));
            }
            return Outcome.OK;
        }
        String text = session.withDeviceNames(out.error());
        QemuTexts.Error e = QemuTexts.realizeError(text, device, this::deviceOfFd);
        if (MIGRATION_REFUSAL.matcher(e.message()).matches()) {
            migration.put(device, new MigrationReport(false, true, e.message()));
        }
        return Outcome.failed(e.errno() == null ? null : e.errno().name(), e.message());
    }

    private String deviceOfFd(int fd) {
        return scenario.devices().stream().map(DeviceDef::name).filter(n -> session.fd(n) == fd).findFirst()
                .orElse("fd " + fd);
    }

    private Outcome detach(String device) {
        LabSession.StepOutcome out = session.unplug(device);
        if (out.ok()) {
            attached.remove(device);
            return Outcome.OK;
        }
        return Outcome.failed(null, session.withDeviceNames(out.error()));
    }

    private Outcome dma(Step.Dma d) {
        if (session.kernel().devId(d.device()) == null) {
            return Outcome.failed(null, "device " + d.device() + " is not attached");
        }
        session.dma(d.device(), d.iova(), d.length());
        return Outcome.OK;
    }

    /**
     * A migration, then {@code cont}. The writes are made right before QEMU's first dirty query is answered (tracking
     * started, the setup sync not yet read), or, when QEMU made no query at all, once the migration completed (tracking
     * is still on: its stop waits for {@code cont}).
     */
    private Outcome migrate(Step.Migrate m, long mark) {
        for (DmaWrite w : m.dma()) {
            if (session.kernel().devId(w.device()) == null) {
                return Outcome.failed(null, "device " + w.device() + " is not attached");
            }
        }
        List<DmaWrite> made = new CopyOnWriteArrayList<>();
        Runnable writes = () -> {
            for (DmaWrite w : m.dma()) {
                session.dma(w.device(), w.iova(), w.length());
                made.add(w);
            }
        };
        Runnable unhook = session.kernel().beforeRequest(QUERIES::contains, writes);
        LabSession.MigrationOutcome out = session.migrate();
        unhook.run();
        boolean completed = out.completed();
        long resent = 0;
        if (completed) {
            if (made.isEmpty() && !m.dma().isEmpty() && log.since(mark).stream().noneMatch(e -> QUERIES.contains(e.op()))) {
                writes.run();
            }
            resent = pagesSentTwice(session);
        }
        LabSession.StepOutcome cont = session.cont();
        if (!cont.ok()) {
            throw new LabException("cont after the migration failed: " + cont.error());
        }
        List<LabEntry> entries = log.since(mark);
        dirty(made, entries, resent);
        if (out.status() == null) { // refused before it began (a blocker)
            return Outcome.failed(null, session.withDeviceNames(out.error()));
        }
        oracle.migrationEnded(completed);
        if (completed) {
            return Outcome.OK;
        }
        QemuTexts.Error e = QemuTexts.withoutStrerror(session.withDeviceNames(Objects.toString(out.error(), "(no error)")));
        String errno = LabLog.backendCalls(entries).stream().filter(c -> !c.ok()).map(LabEntry::result).findFirst()
                .orElse(null);
        return Outcome.failed(errno, e.message());
    }

    /**
     * Pages QEMU sent more than once ({@code query-migrate} after completion: every page sent, zero or not, less one
     * copy of guest RAM): a sync after the first marked them dirty again. The lab's writes come before the first sync,
     * and what a query reports there is cleared, so only a mark no query shows (perpetual dirty) can make this
     * non-zero.
     */
    public static long pagesSentTwice(LabSession session) {
        JsonNode ram = session.qmp().execute("query-migrate", Map.of(), session.config().timeout()).path("ram");
        long pageSize = ram.path("page-size").asLong(LabReach.PAGE_SIZE);
        return ram.path("duplicate").asLong() + ram.path("normal").asLong() - ram.path("total").asLong() / pageSize;
    }

    /**
     * The lab's lost-page oracle for one migration: the writes made while tracking ran count as written (their parts in
     * QEMU's guest memory); a successful query reports its runs, unless another query of the same container and range
     * in the same sync failed (QEMU then drops the whole range's bitmap, Q-DT-3); pages sent twice mean QEMU marked
     * memory dirty with no query (perpetual dirty): then every written page counts as reported.
     */
    private void dirty(List<DmaWrite> made, List<LabEntry> entries, long resent) {
        for (DmaWrite w : made) {
            IovaRange written = new IovaRange(w.iova(), w.length());
            for (MemoryRange r : ScenarioGenerator.QEMU_PC_128M) {
                IovaRange part = new IovaRange(r.iova(), r.length()).intersection(written);
                if (part != null) {
                    oracle.written(w.device(), part);
                }
            }
        }
        List<LabEntry> group = new ArrayList<>();
        for (LabEntry e : LabLog.backendCalls(entries)) {
            if (!QUERIES.contains(e.op())) {
                settle(group);
                continue;
            }
            if (!group.isEmpty() && !sameGroup(group, e)) {
                settle(group);
            }
            group.add(e);
        }
        settle(group);
        if (resent > 0) {
            for (MemoryRange r : ScenarioGenerator.QEMU_PC_128M) {
                oracle.reported(new IovaRange(r.iova(), r.length()), true);
            }
        }
        oracle.endSync();
    }

    /** One range of one container's query: same op, range and IOAS, and no HWPT or device queried twice. */
    private boolean sameGroup(List<LabEntry> group, LabEntry e) {
        LabEntry first = group.get(0);
        if (!first.op().equals(e.op()) || !Objects.equals(first.arg("iova"), e.arg("iova"))
                || !Objects.equals(first.arg("length"), e.arg("length"))) {
            return false;
        }
        String key = e.op().equals("GET_DIRTY_BITMAP") ? "hwptId" : "devId";
        return group.stream().noneMatch(g -> Objects.equals(g.arg(key), e.arg(key)))
                && Objects.equals(containerOf(first), containerOf(e));
    }

    private Integer containerOf(LabEntry query) {
        Number n = (Number) query.arg(query.op().equals("GET_DIRTY_BITMAP") ? "hwptId" : "devId");
        return query.op().equals("GET_DIRTY_BITMAP") ? view.ioasOf(n.intValue()) : view.containerOf(n.intValue());
    }

    private void settle(List<LabEntry> group) {
        if (!group.isEmpty() && group.stream().allMatch(LabEntry::ok)) {
            for (LabEntry q : group) {
                Object runs = q.arg("outRuns");
                if (runs == null) {
                    continue;
                }
                long iova = Long.decode((String) q.arg("iova"));
                for (String run : ((String) runs).split(",")) {
                    int colon = run.indexOf(':');
                    long first = Long.parseLong(run.substring(0, colon));
                    long count = Long.parseLong(run.substring(colon + 1));
                    oracle.reported(new IovaRange(iova + first * LabReach.PAGE_SIZE, count * LabReach.PAGE_SIZE));
                }
            }
        }
        group.clear();
    }

    /**
     * The calls of a migration with the syncs QEMU made beyond the setup and the final one left out when they
     * reported nothing and all succeeded: their count depends on timing (the lab sets QEMU's downtime limit to 0,
     * which keeps it at two; this is the net under it, and the summary says how many it caught).
     */
    private List<LabEntry> collapseEmptySyncs(List<LabEntry> calls) {
        List<List<LabEntry>> syncs = new ArrayList<>();
        int firstQuery = -1;
        int lastQuery = -1;
        for (int i = 0; i < calls.size(); i++) {
            if (QUERIES.contains(calls.get(i).op())) {
                firstQuery = firstQuery < 0 ? i : firstQuery;
                lastQuery = i;
            }
        }
        if (firstQuery < 0) {
            return calls;
        }
        List<LabEntry> queries = calls.subList(firstQuery, lastQuery + 1);
        if (queries.stream().anyMatch(e -> !QUERIES.contains(e.op()))) {
            return calls; // something else between the queries: not only syncs, leave it as it is
        }
        String firstKey = key(queries.get(0));
        for (LabEntry q : queries) {
            if (key(q).equals(firstKey)) {
                syncs.add(new ArrayList<>());
            }
            syncs.get(syncs.size() - 1).add(q);
        }
        if (syncs.size() <= 2) {
            return calls;
        }
        List<LabEntry> out = new ArrayList<>(calls.subList(0, firstQuery));
        out.addAll(syncs.get(0));
        for (int i = 1; i < syncs.size() - 1; i++) {
            boolean empty = syncs.get(i).stream().allMatch(e -> e.ok() && e.arg("outRuns") == null);
            if (empty) {
                collapsedSyncs++;
            } else {
                out.addAll(syncs.get(i));
            }
        }
        out.addAll(syncs.get(syncs.size() - 1));
        out.addAll(calls.subList(lastQuery + 1, calls.size()));
        return out;
    }

    private static String key(LabEntry q) {
        return q.op() + " " + q.arg("hwptId") + " " + q.arg("devId") + " " + q.arg("iova");
    }

    // ------------------------------------------------------------------------------------------------ the end

    /** Takes every backend call so far into QEMU's view. */
    private void catchUp() {
        for (LabEntry e : log.since(viewedUpTo)) {
            view.apply(e);
        }
        viewedUpTo = log.mark();
    }

    /** QEMU's stderr lines since the last call: the warnings (returned) and the other lines (kept as errors). */
    private List<String> newStderr() {
        List<String> all = session.stderr();
        List<String> out = new ArrayList<>();
        for (String line : all.subList(Math.min(stderrSeen, all.size()), all.size())) {
            String named = session.withDeviceNames(line);
            if (named.startsWith("warning: ")) {
                out.add(named.substring("warning: ".length()));
            } else {
                errors.add(named);
            }
        }
        stderrSeen = all.size();
        warnings.addAll(out);
        return List.copyOf(out);
    }

    private List<DeviceReport> devices() {
        List<DeviceReport> out = new ArrayList<>();
        for (DeviceDef d : scenario.devices()) {
            boolean on = attached.contains(d.name());
            Integer hwpt = on ? view.hwptOf(d.name()) : null;
            Integer ioas = on ? view.ioasOf(hwpt) : null;
            out.add(new DeviceReport(d.name(), on, ioas, hwpt, false, migration.get(d.name())));
        }
        return out;
    }

    /** Unplugs what is plugged, newest first (as the simulator's final detach), and lists what the kernel still has. */
    private List<String> cleanUp() {
        List<String> plugged = new ArrayList<>(attached);
        Collections.reverse(plugged);
        for (String d : plugged) {
            LabSession.StepOutcome out = session.unplug(d);
            if (!out.ok()) {
                throw new LabException("the clean-up unplug of " + d + " failed: " + out.error());
            }
        }
        return session.mock().inventory().map(inv -> inv.liveObjects().stream().map(BackendObject::toString).toList())
                .orElse(List.of());
    }

    private static CallReport callReport(LabEntry e) {
        List<String> flags = e.op().equals(CallReport.HWPT_ALLOC)
                ? (e.flags() == null ? List.<String>of() : e.flags().toList().stream().map(HwptAllocFlag::name).toList())
                : null;
        Map<String, Object> args = new LinkedHashMap<>(e.args());
        return new CallReport(e.op(), flags, e.result(), args);
    }
}
