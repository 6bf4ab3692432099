package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.backend.mock.MockBackend;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.simulator.SimulationOptions;
import io.github.iommufd4j.simulator.Simulator;
import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.DeviceReport;
import io.github.iommufd4j.simulator.report.MigrationReport;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * On scenarios that use none of the format's additions for the later versions (no read-only memory, no vIOMMU kind,
 * no vIOMMU steps: the generator's), every profile after {@code qemu-10.0} agrees with {@code qemu-10.0} call for call
 * and in every other field of the report, except the rows of {@code docs/reference/qemu-rules.md} section 6 that
 * change such scenarios ({@code docs/versions.md}, "The differential"):
 *
 * <ul>
 *   <li>Q-EV-2 (10.1 on): GET_HW_INFO moves. Compared without it, and its new places checked on their own: right
 *       before every HWPT_ALLOC, and last in a device's successful attach; none for an mdev. A fault step aimed at
 *       GET_HW_INFO hits another call (the count differs), so such scenarios are left out.</li>
 *   <li>Q-EV-10 (11.0): guest RAM leaving while dirty logging is on is queried first (GET_DIRTY_BITMAP with NO_CLEAR,
 *       or DMA_LOGGING_REPORT after the unmap): those calls of {@code unmap} steps are dropped before comparing; with a
 *       fault step on those operations the counts differ, and such scenarios are left out.</li>
 *   <li>Q-EV-6 (11.0): a device behind a vIOMMU without its own dirty tracking is no longer blocked by Q-MIG-5; the
 *       expected decision is mapped. With {@code enableMigration: on} the block was fatal, so the attach's fate
 *       differs: left out; so does the fate of a {@code migrate} its blocker refused (the newest blocker's text under
 *       {@code qemu-10.0}): left out.</li>
 *   <li>Q-EV-11 (11.0): a device that met Q-MIG-3 with {@code enableMigration: on} (a warning under
 *       {@code qemu-10.0}) may now fail to realize: left out.</li>
 * </ul>
 *
 * <p>Q-EV-9 (unmap-all) never shows: only a translating vIOMMU's container unmaps all, and these scenarios have none.
 * Whatever {@code qemu-10.0} is made of (Q-EV-1, and Q-EV-7 when it models it) the later profiles inherit, so it cancels
 * out here.
 */
class LaterProfilesDifferentialTest {
    static {
        QuietLogs.on();
    }

    static final int CASES = Integer.getInteger("iommufd4j.diffCases", 3000);
    private static final String VIOMMU_BLOCK = ": Migration is currently not supported with vIOMMU enabled";
    private static final String NO_TRACKING = ": VFIO device doesn't support device and IOMMU dirty tracking";

    private final Simulator simulator = new Simulator(name -> new MockBackend());

    SimulationReport run(Scenario s, Profile p) {
        return simulator.run(s, new SimulationOptions(null, p.name())).report();
    }

    /** Why a scenario is left out of the comparison with {@code later}, or null. */
    static String leftOut(Scenario s, SimulationReport base, Profile later) {
        if (hasFault(s, BackendOp.GET_HW_INFO)) {
            return "Q-EV-2: a fault step on GET_HW_INFO";
        }
        if (later != Profile.QEMU_11_0) {
            return null;
        }
        if (hasFault(s, BackendOp.GET_DIRTY_BITMAP) || hasFault(s, BackendOp.DMA_LOGGING_REPORT)) {
            for (StepReport st : base.steps()) {
                if (st.op().equals("unmap") && duringTracking(base, st.index())) {
                    return "Q-EV-10: an unmap during tracking with a fault step on a query";
                }
            }
        }
        for (StepReport st : base.steps()) {
            for (String w : st.warnings()) {
                if (w.endsWith(NO_TRACKING)) {
                    return "Q-EV-11: Q-MIG-3 met with enableMigration on";
                }
            }
            if (st.op().equals("attach") && !st.ok() && st.message() != null && st.message().endsWith(VIOMMU_BLOCK)) {
                return "Q-EV-6: Q-MIG-5 fatal with enableMigration on";
            }
            if (st.op().equals("migrate") && !st.ok() && st.message() != null && st.message().endsWith(VIOMMU_BLOCK)) {
                return "Q-EV-6: a migration Q-MIG-5's blocker refused";
            }
        }
        return null;
    }

    static boolean hasFault(Scenario s, BackendOp op) {
        return s.steps().stream().anyMatch(st -> st instanceof Step.Fault f && f.op() == op);
    }

    /** Whether tracking was started when step {@code index} ran: a start succeeded since the last stop. */
    static boolean duringTracking(SimulationReport r, int index) {
        boolean on = false;
        for (StepReport st : r.steps().subList(0, index)) {
            if (st.op().equals("startDirtyTracking") && st.ok()) {
                on = true;
            } else if (st.op().equals("stopDirtyTracking") && st.ok()) {
                on = false;
            }
        }
        return on;
    }

    /**
     * The report as {@code qemu-10.0} would write it if only the documented rows differed: GET_HW_INFO dropped (Q-EV-2),
     * the queries of {@code unmap} steps dropped (Q-EV-10), the profile's name blanked; for {@code qemu-10.0}'s own
     * report under {@code expectFor} 11.0, Q-MIG-5's vIOMMU blocks of devices without their own dirty tracking turned
     * into the allowance Q-EV-6 gives.
     */
    static SimulationReport comparable(SimulationReport r, Scenario s, boolean mapQEv6) {
        List<StepReport> steps = new ArrayList<>();
        for (StepReport st : r.steps()) {
            List<CallReport> calls = st.calls().stream().filter(c -> !c.op().equals("GET_HW_INFO"))
                    .filter(c -> !(st.op().equals("unmap") && (c.op().equals("DMA_LOGGING_REPORT")
                            || (c.op().equals("GET_DIRTY_BITMAP") && Boolean.TRUE.equals(c.args().get("noClear"))))))
                    .toList();
            steps.add(new StepReport(st.index(), st.op(), st.target(), st.ok(), st.errno(), st.message(), calls,
                    st.warnings()));
        }
        List<DeviceReport> devices = r.devices();
        if (mapQEv6) {
            devices = devices.stream().map(d -> {
                DeviceDef def = s.device(d.name());
                boolean ownTracking = def.vfDirtyTracking() && def.deviceDirtyPageTracking() != OnOffAuto.OFF;
                MigrationReport m = d.migration();
                if (def.viommu() && !ownTracking && m != null && !m.fatal() && (d.name() + VIOMMU_BLOCK).equals(m.message())) {
                    return new DeviceReport(d.name(), d.attached(), d.ioasId(), d.hwptId(), d.iommuDirtyTracking(),
                            new MigrationReport(true, false, null));
                }
                return d;
            }).toList();
        }
        return new SimulationReport(r.formatVersion(), r.scenario(), "-", r.backend(), steps, r.containers(), devices,
                r.warnings(), r.dirty(), r.leakedObjects());
    }

    /** Q-EV-2's places of GET_HW_INFO in a later profile's attach steps; problems as text. */
    static List<String> qEv2Shape(SimulationReport later, Scenario s) {
        List<String> bad = new ArrayList<>();
        for (StepReport st : later.steps()) {
            if (!st.op().equals("attach")) {
                continue;
            }
            List<String> ops = st.calls().stream().map(CallReport::op).toList();
            boolean mdev = s.device(st.target()).mdev();
            long hwInfo = ops.stream().filter("GET_HW_INFO"::equals).count();
            for (int i = 0; i < ops.size(); i++) {
                if (ops.get(i).equals("HWPT_ALLOC") && (i == 0 || !ops.get(i - 1).equals("GET_HW_INFO"))) {
                    bad.add("step " + st.index() + ": HWPT_ALLOC not right after GET_HW_INFO: " + ops);
                }
            }
            if (mdev && hwInfo > 0) {
                bad.add("step " + st.index() + ": GET_HW_INFO for the mdev " + st.target() + ": " + ops);
            }
            if (!mdev && st.ok()) {
                long allocs = ops.stream().filter("HWPT_ALLOC"::equals).count();
                if (hwInfo != allocs + 1 || !ops.get(ops.size() - 1).equals("GET_HW_INFO")) {
                    bad.add("step " + st.index() + ": a successful attach reads GET_HW_INFO before each HWPT_ALLOC and"
                            + " once last: " + ops);
                }
            }
        }
        return bad;
    }

    @Test
    @DisplayName("Q-EV-2, Q-EV-6, Q-EV-9, Q-EV-10, Q-EV-11: qemu-10.1, qemu-10.2 and qemu-11.0 agree with qemu-10.0 call for call on generated scenarios, but for the documented rows")
    void laterProfilesAgreeWithTenZeroButForTheDocumentedRows() {
        long base = Failures.baseSeed(0x1a7e_0000L);
        ScenarioGenerator.Options options = ScenarioGenerator.Options.defaults();
        List<Profile> later = List.of(Profile.QEMU_10_1, Profile.QEMU_10_2, Profile.QEMU_11_0);
        Map<String, Integer> compared = new LinkedHashMap<>();
        Map<String, Integer> excluded = new TreeMap<>();
        Map<String, Integer> mapped = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < CASES && failures.size() < 3; i++) {
            long seed = base + i;
            Scenario s = ScenarioGenerator.generate(seed, options);
            SimulationReport ten = run(s, Profile.QEMU_10_0);
            for (Profile p : later) {
                String why = leftOut(s, ten, p);
                if (why != null) {
                    excluded.merge(p.name() + ": " + why, 1, Integer::sum);
                    continue;
                }
                SimulationReport other = run(s, p);
                boolean eleven = p == Profile.QEMU_11_0;
                SimulationReport expected = comparable(ten, s, eleven);
                SimulationReport actual = comparable(other, s, false);
                if (eleven && !expected.devices().equals(comparable(ten, s, false).devices())) {
                    mapped.merge("Q-EV-6 decisions mapped", 1, Integer::sum);
                }
                if (eleven && !comparable(other, s, false).steps().equals(stepsWithoutHwInfo(other))) {
                    mapped.merge("Q-EV-10 queries dropped", 1, Integer::sum);
                }
                List<String> shape = qEv2Shape(other, s);
                if (!expected.equals(actual) || !shape.isEmpty()) {
                    failures.add(Failures.shrinkAndDescribe("later-vs-10.0-" + p.name(), seed, s, x -> {
                        SimulationReport t = run(x, Profile.QEMU_10_0);
                        SimulationReport o = run(x, p);
                        return leftOut(x, t, p) == null && (!comparable(t, x, p == Profile.QEMU_11_0)
                                .equals(comparable(o, x, false)) || !qEv2Shape(o, x).isEmpty());
                    }, p.name() + " differs from qemu-10.0 outside the documented rows" + (shape.isEmpty() ? "" : ": " + shape)
                            + "\nqemu-10.0: " + expected + "\n" + p.name() + ": " + actual));
                    break;
                }
                compared.merge(p.name(), 1, Integer::sum);
            }
        }
        System.out.printf("later profiles vs qemu-10.0: %d generated scenarios; compared %s; left out %s; documented"
                + " differences seen %s; %d ms%n", CASES, compared, excluded, mapped, (System.nanoTime() - t0) / 1_000_000);
        assertThat(failures).isEmpty();
        for (Profile p : later) {
            assertThat(compared.getOrDefault(p.name(), 0)).as("scenarios compared with %s", p.name())
                    .isGreaterThan(CASES * 2 / 3);
        }
        // The exceptions are exercised, not merely allowed.
        assertThat(mapped).containsKeys("Q-EV-6 decisions mapped", "Q-EV-10 queries dropped");
    }

    private static List<StepReport> stepsWithoutHwInfo(SimulationReport r) {
        return r.steps().stream().map(st -> new StepReport(st.index(), st.op(), st.target(), st.ok(), st.errno(),
                st.message(), st.calls().stream().filter(c -> !c.op().equals("GET_HW_INFO")).toList(), st.warnings()))
                .toList();
    }
}
