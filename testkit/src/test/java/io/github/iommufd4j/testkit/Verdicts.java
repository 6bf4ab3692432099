package io.github.iommufd4j.testkit;

import io.github.iommufd4j.core.OrphanHandling;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import io.github.iommufd4j.testkit.InvariantRunner;
import java.util.List;

/**
 * How the reliability tests judge a checked run. Every violation fails the test except {@code INV-LEAK} in a
 * run where a DETACH or DESTROY fault was injected: QEMU forgets a HWPT or IOAS whose IOMMU_DESTROY failed
 * (Q-DET-2: a failed DETACH leaves the device on the HWPT, so its destroy is EBUSY), and core reproduces that.
 */
final class Verdicts {
    private Verdicts() {
    }

    /** Whether {@code op} is one whose injected failure can make core forget an object (QEMU's leak). */
    static boolean leakingOp(BackendOp op) {
        return op == BackendOp.DETACH || op == BackendOp.DESTROY;
    }

    /** Whether the scenario or the injected fault makes a DETACH or DESTROY fail. */
    static boolean leakExcused(Scenario s, InvariantRunner.InjectedFault fault) {
        if (fault != null && leakingOp(fault.op())) {
            return true;
        }
        return s.steps().stream().anyMatch(st -> st instanceof Step.Fault f && leakingOp(f.op()));
    }

    /**
     * The violations that fail a test. With a profile that reclaims orphans ({@code safe}), a leak left after
     * the final detach is never excused.
     */
    static List<String> unexcused(InvariantRunner.Result r, Scenario s, InvariantRunner.InjectedFault fault,
                                  Profile profile) {
        boolean excused = leakExcused(s, fault);
        return r.violations().stream().filter(v -> !(excused && v.contains("INV-LEAK")
                && !((profile.orphanHandling() == OrphanHandling.RECLAIM) && v.startsWith("after the final detach")))).toList();
    }

    /** Whether the run leaked only in QEMU's way. */
    static boolean leakedLikeQemu(InvariantRunner.Result r) {
        return r.violations().stream().anyMatch(v -> v.contains("INV-LEAK"));
    }

    /** The invariant id (or "threw X") of a violation, for a shrinking predicate that keeps the same failure. */
    static String kind(String violation) {
        return violation.replaceAll("(?s).*?(INV-[A-Z-]+|threw [\\w.$]+).*", "$1");
    }
}
