package io.github.iommufd4j.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TCK tested against deliberately broken mocks: each break must make the rule meant to catch it FAIL,
 * and nothing else that has no reason to notice. The variants are decorators in {@link BrokenBackends}.
 */
class BrokenBackendsTest {

    static class WrongErrnoTck extends IommufdBackendVerification {
        @Override
        protected TckFixture fixture() {
            return new BrokenBackends.DecoratedMockFixture(BrokenBackends.WrongErrno::new);
        }
    }

    static class AttachEbusyTck extends IommufdBackendVerification {
        @Override
        protected TckFixture fixture() {
            return new BrokenBackends.DecoratedMockFixture(BrokenBackends.AttachEbusy::new);
        }
    }

    static class NoDmaSimulationTck extends IommufdBackendVerification {
        @Override
        protected TckFixture fixture() {
            return new BrokenBackends.DecoratedMockFixture(BrokenBackends.NoDmaSimulation::new);
        }
    }

    static class LeakOnFailedAllocTck extends IommufdBackendVerification {
        @Override
        protected TckFixture fixture() {
            return new BrokenBackends.DecoratedMockFixture(BrokenBackends.LeakOnFailedAlloc::new);
        }
    }

    static class OverwritingBitmapTck extends IommufdBackendVerification {
        @Override
        protected TckFixture fixture() {
            return new BrokenBackends.DecoratedMockFixture(BrokenBackends.OverwritingBitmap::new);
        }
    }

    static class EnableKeepsDirtyBitsTck extends IommufdBackendVerification {
        @Override
        protected TckFixture fixture() {
            return new BrokenBackends.DecoratedMockFixture(BrokenBackends.EnableKeepsDirtyBits::new);
        }
    }

    static class IgnoredDisableTck extends IommufdBackendVerification {
        @Override
        protected TckFixture fixture() {
            return new BrokenBackends.DecoratedMockFixture(BrokenBackends.IgnoredDisable::new);
        }
    }

    @TempDir
    Path reports;

    private TckSummary run(Class<? extends IommufdBackendVerification> tck) {
        List<String> lines = new ArrayList<>();
        TckSummary summary = TckRunner.runClass(tck, tck.getSimpleName(), Map.of(), reports, lines::add);
        assertThat(lines).as("progress lines of %s", tck.getSimpleName())
                .hasSize(summary.results().size() + summary.problems().size());
        return summary;
    }

    private static List<String> failed(TckSummary summary) {
        return summary.results().stream().filter(r -> r.result() == TckSummary.Result.FAILED)
                .map(TckSummary.RuleResult::method).toList();
    }

    /** The failed rules that follow from another failure, each with the rules it follows from. */
    private static Map<String, List<String>> consequences(TckSummary summary) {
        Map<String, List<String>> m = new TreeMap<>();
        summary.results().stream().filter(r -> r.result() == TckSummary.Result.FAILED && !r.followsFrom().isEmpty())
                .forEach(r -> m.put(r.method(), r.followsFrom()));
        return m;
    }

    private static TckSummary.RuleResult failure(TckSummary summary, String rule) {
        TckSummary.RuleResult r = summary.result(rule).orElseThrow(() -> new AssertionError(rule + " did not run"));
        assertThat(r.result()).as("%s on %s\n%s", rule, summary.backend(), summary.table()).isEqualTo(TckSummary.Result.FAILED);
        return r;
    }

    @Test
    void brokenAttachEbusy_shouldFailBy_required_kAtt2_andMarkTheQemuRulesAsFollowingFromIt() {
        TckSummary s = run(AttachEbusyTck.class);
        assertThat(failed(s)).as("rules failing on %s", s.backend()).containsExactlyInAnyOrder(
                "required_kAtt2_nonDirtyDeviceOnDirtyHwptIsEinval", "optional_kAtt2_otherFamilyDeviceOnHwptIsEinval",
                "required_qAtt2_einvalMeansTryTheNextHwpt", "required_qAtt3_dirtyTrackingAskedForIffCapability",
                "required_qAtt5_warningForNonDirtyDeviceAfterDirtyOne", "required_qDet1_lastDeviceFreesHwptThenIoas",
                "optional_qDt2_failedStartRollsBackEveryDirtyHwpt", "optional_qDt3_bitmapIsOrOfEveryDirtyHwpt");
        assertThat(consequences(s)).as("failures following from others").containsOnlyKeys(
                "required_qAtt2_einvalMeansTryTheNextHwpt", "required_qAtt3_dirtyTrackingAskedForIffCapability",
                "required_qAtt5_warningForNonDirtyDeviceAfterDirtyOne", "required_qDet1_lastDeviceFreesHwptThenIoas",
                "optional_qDt2_failedStartRollsBackEveryDirtyHwpt", "optional_qDt3_bitmapIsOrOfEveryDirtyHwpt")
                .allSatisfy((method, causes) -> assertThat(causes).as("causes of %s", method).containsExactly("K-ATT-2"));
        assertThat(s.firstCauses()).containsExactly("K-ATT-2");

        assertThat(failure(s, "required_kAtt2_nonDirtyDeviceOnDirtyHwptIsEinval").reason()).isEqualTo("""
                K-ATT-2 (required) failed: ATTACH of device b (no dirty tracking) to DIRTY_TRACKING HWPT 4
                  call:     ATTACH(devId 2, ptId 4) = EBUSY
                  expected: EINVAL
                  actual:   EBUSY
                  hint:     the compatibility check of ATTACH: an incompatible HWPT is EINVAL, never EBUSY or ENOENT; \
                QEMU reads only EINVAL as "try the next HWPT" (Q-ATT-2)
                  backend said: ATTACH(dev 2, pt 4) failed: EBUSY""");
        // The container count no longer hides the call: the first call that differs is named, EBUSY for EINVAL.
        assertThat(failure(s, "required_qAtt3_dirtyTrackingAskedForIffCapability").reason()).startsWith("""
                Q-ATT-3 (required) follows from K-ATT-2, which failed: calls of attaching b (no dirty tracking) \
                after a, with HWPT_ALLOC's flags
                  call:     ATTACH(devId 4, ptId 3) = EBUSY (call 3 of 6)
                  expected: ATTACH=EINVAL
                  actual:   ATTACH=EBUSY
                  hint:     K-ATT-2 (b must be refused by a's DIRTY_TRACKING HWPT with EINVAL)""")
                .contains("calls expected: [BIND=ok, GET_HW_INFO=ok, ATTACH=EINVAL, HWPT_ALLOC[]=ok, ATTACH=ok]")
                .contains("calls made:     [BIND=ok, GET_HW_INFO=ok, ATTACH=EBUSY, IOAS_ALLOC=ok, HWPT_ALLOC[]=ok, ATTACH=ok]");
        assertThat(s.verdict()).isEqualTo("FAILED: 8 rules failed (6 following from others; fix K-ATT-2 first)");
    }

    @Test
    void aBackendWithoutDmaSimulation_skipsRequiredRules_whichFailsTheRunListingEachWithItsReason() {
        TckSummary s = run(NoDmaSimulationTck.class);
        assertThat(s.count(TckSummary.Result.FAILED)).as("rules failed").isZero();
        assertThat(s.requiredSkipped()).extracting(TckSummary.RuleResult::method).containsExactlyInAnyOrder(
                "required_kSdt4_enablingClearsDirtyBits", "required_kSdt4_disablingStopsTracking",
                "required_kGdb6_bitIMeansPageIovaPlusITimesPageSize", "required_kGdb6_bitsAreOredIntoTheBuffer",
                "required_kGdb6_readClearsUnlessNoClear", "required_qDt3_syncReportsPagesWrittenThroughTheDirtyHwpt");
        assertThat(s.problems()).singleElement().asString()
                .startsWith("6 required rules were skipped, so this backend is not verified (a required rule must run;"
                        + " only optional rules may be skipped):\n")
                .contains("  K-GDB-6 bitsAreOredIntoTheBuffer: the backend has no DmaSimulation ability: the TCK cannot"
                        + " make pages dirty");
        assertThat(s.passed()).isFalse();
        assertThat(s.verdict()).isEqualTo("FAILED: the run failed, 6 required rules skipped");
        // Optional skips are listed with their reasons too, below the table.
        assertThat(s.details()).contains("SKIPPED Q-DT-4 (optional) optional_qDt4_deviceTrackerUsedWhenEveryDeviceHasIt"
                + System.lineSeparator() + "  the backend has no DmaSimulation ability");
    }

    @Test
    void brokenWrongErrno_shouldFailBy_required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp() {
        TckSummary s = run(WrongErrnoTck.class);
        assertThat(failure(s, "required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp").reason())
                .contains("  call:     HWPT_ALLOC(devId 1, ptId 2, [DIRTY_TRACKING]) = EINVAL\n  expected: EOPNOTSUPP\n"
                        + "  actual:   EINVAL\n  hint:     the errno (EINVAL is the usual slip)");
        // K-FAIL uses the same K-ALLOC-6 failure and expects its errno too: it says so.
        assertThat(failed(s)).as("rules failing on %s", s.backend()).containsExactlyInAnyOrder(
                "required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp", "optional_kFail_failedAllocLeavesNoObject");
        assertThat(consequences(s)).containsExactly(Map.entry("optional_kFail_failedAllocLeavesNoObject", List.of("K-ALLOC-6")));
    }

    @Test
    void brokenLeakOnFailedAlloc_shouldFailBy_optional_kFail_failedAllocLeavesNoObject() {
        TckSummary s = run(LeakOnFailedAllocTck.class);
        assertThat(failure(s, "optional_kFail_failedAllocLeavesNoObject").reason())
                .startsWith("K-FAIL (optional) failed: live objects after a HWPT_ALLOC failing with K-ALLOC-6 failure")
                .contains("  call:     HWPT_ALLOC(devId 1, ptId 2, [DIRTY_TRACKING]) = EOPNOTSUPP\n");
        assertThat(failed(s)).as("rules failing on %s", s.backend()).containsExactly("optional_kFail_failedAllocLeavesNoObject");
        assertThat(consequences(s)).isEmpty();
    }

    @Test
    void brokenOverwritingBitmap_shouldFailBy_required_kGdb6_bitsAreOredIntoTheBuffer() {
        TckSummary s = run(OverwritingBitmapTck.class);
        // Dirty pages are shown as IOVAs: 0x1002000 is bit 2 of a bitmap read from 16 MiB.
        assertThat(failure(s, "required_kGdb6_bitsAreOredIntoTheBuffer").reason())
                .contains("  call:     GET_DIRTY_BITMAP(hwptId 3, iova 0x1000000, length 0x200000, pageSize 4096, noClear false) = ok\n"
                        + "  expected: [0x1002000, 0x1007000, 0x1190000]\n  actual:   [0x1007000]\n");
        assertThat(failed(s)).as("rules failing on %s", s.backend()).containsExactlyInAnyOrder(
                "required_kGdb6_bitsAreOredIntoTheBuffer", "optional_qDt3_bitmapIsOrOfEveryDirtyHwpt");
        assertThat(consequences(s)).containsExactly(Map.entry("optional_qDt3_bitmapIsOrOfEveryDirtyHwpt", List.of("K-GDB-6")));
    }

    @Test
    void brokenEnableKeepsDirtyBits_shouldFailBy_required_kSdt4_enablingClearsDirtyBits() {
        TckSummary s = run(EnableKeepsDirtyBitsTck.class);
        assertThat(failure(s, "required_kSdt4_enablingClearsDirtyBits").reason())
                .contains("  expected: []\n  actual:   [0x1003000]\n");
        // Disabling then enabling again is the same path: the bits from before the disable come back.
        assertThat(failed(s)).as("rules failing on %s", s.backend()).containsExactlyInAnyOrder(
                "required_kSdt4_enablingClearsDirtyBits", "required_kSdt4_disablingStopsTracking");
        assertThat(consequences(s)).as("the two K-SDT-4 failures are the same rule, neither follows from the other").isEmpty();
    }

    @Test
    void brokenIgnoredDisable_shouldFailBy_required_kSdt4_disablingStopsTracking() {
        TckSummary s = run(IgnoredDisableTck.class);
        assertThat(failure(s, "required_kSdt4_disablingStopsTracking").reason())
                .contains("after disabling").containsPattern("  expected: 0\n  actual:   [1-9][0-9]*\n"); // IOPTEs per page: the geometry's
        // Q-DT-2's rollback disables the HWPT that was enabled: ignored, so its device's writes are still tracked.
        assertThat(failed(s)).as("rules failing on %s", s.backend()).containsExactlyInAnyOrder(
                "required_kSdt4_disablingStopsTracking", "optional_qDt2_failedStartRollsBackEveryDirtyHwpt");
        assertThat(consequences(s)).containsExactly(Map.entry("optional_qDt2_failedStartRollsBackEveryDirtyHwpt", List.of("K-SDT-4")));
    }

    @Test
    void cleanMock_passesEveryRequiredAndOptionalRule() {
        TckSummary s = run(MockBackendTckTest.class);
        assertThat(s.count(TckSummary.Level.REQUIRED, TckSummary.Result.PASSED)).as("required rules passed\n%s", s.table())
                .isEqualTo(35);
        assertThat(s.count(TckSummary.Level.OPTIONAL, TckSummary.Result.PASSED)).as("optional rules passed\n%s", s.table())
                .isEqualTo(7);
        assertThat(s.passed()).isTrue();
    }
}
