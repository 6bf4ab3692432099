package io.github.iommufd4j.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        assertThat(lines).as("progress lines of %s", tck.getSimpleName()).hasSize(summary.results().size());
        return summary;
    }

    private static List<String> failed(TckSummary summary) {
        return summary.results().stream().filter(r -> r.result() == TckSummary.Result.FAILED)
                .map(TckSummary.RuleResult::method).toList();
    }

    private static void assertFailedBy(TckSummary summary, String rule, String reasonFragment) {
        assertThat(summary.result(rule)).as("result of %s", rule).hasValueSatisfying(r -> {
            assertThat(r.result()).as("%s on %s\n%s", rule, summary.backend(), summary.table()).isEqualTo(TckSummary.Result.FAILED);
            assertThat(r.reason()).as("reason of %s", rule).contains(reasonFragment);
        });
    }

    @Test
    void brokenWrongErrno_shouldFailBy_required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp() {
        TckSummary s = run(WrongErrnoTck.class);
        assertFailedBy(s, "required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp", "EOPNOTSUPP");
        // K-FAIL uses the same K-ALLOC-6 failure and expects its errno too.
        assertThat(failed(s)).as("rules failing on %s", s.backend()).containsExactlyInAnyOrder(
                "required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp", "optional_kFail_failedAllocLeavesNoObject");
    }

    @Test
    void brokenLeakOnFailedAlloc_shouldFailBy_optional_kFail_failedAllocLeavesNoObject() {
        TckSummary s = run(LeakOnFailedAllocTck.class);
        assertFailedBy(s, "optional_kFail_failedAllocLeavesNoObject", "live objects after a HWPT_ALLOC failing");
        assertThat(failed(s)).as("rules failing on %s", s.backend()).containsExactly("optional_kFail_failedAllocLeavesNoObject");
    }

    @Test
    void brokenOverwritingBitmap_shouldFailBy_required_kGdb6_bitsAreOredIntoTheBuffer() {
        TckSummary s = run(OverwritingBitmapTck.class);
        assertFailedBy(s, "required_kGdb6_bitsAreOredIntoTheBuffer", "K-GDB-6");
        assertFailedBy(s, "optional_qDt3_bitmapIsOrOfEveryDirtyHwpt", "Q-DT-3");
        assertThat(failed(s)).as("rules failing on %s", s.backend()).containsExactlyInAnyOrder(
                "required_kGdb6_bitsAreOredIntoTheBuffer", "optional_qDt3_bitmapIsOrOfEveryDirtyHwpt");
    }

    @Test
    void brokenEnableKeepsDirtyBits_shouldFailBy_required_kSdt4_enablingClearsDirtyBits() {
        TckSummary s = run(EnableKeepsDirtyBitsTck.class);
        assertFailedBy(s, "required_kSdt4_enablingClearsDirtyBits", "K-SDT-4");
        // Disabling then enabling again is the same path: the bits from before the disable come back.
        assertThat(failed(s)).as("rules failing on %s", s.backend()).containsExactlyInAnyOrder(
                "required_kSdt4_enablingClearsDirtyBits", "required_kSdt4_disablingStopsTracking");
    }

    @Test
    void brokenIgnoredDisable_shouldFailBy_required_kSdt4_disablingStopsTracking() {
        TckSummary s = run(IgnoredDisableTck.class);
        assertFailedBy(s, "required_kSdt4_disablingStopsTracking", "after disabling");
        // Q-DT-2's rollback disables the HWPT that was enabled: ignored, so its device's writes are still tracked.
        assertThat(failed(s)).as("rules failing on %s", s.backend()).containsExactlyInAnyOrder(
                "required_kSdt4_disablingStopsTracking", "optional_qDt2_failedStartRollsBackEveryDirtyHwpt");
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
