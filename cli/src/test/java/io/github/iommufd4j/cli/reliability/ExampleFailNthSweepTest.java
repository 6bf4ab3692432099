package io.github.iommufd4j.cli.reliability;

import io.github.iommufd4j.core.OrphanHandling;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.backend.mock.MockBackend;
import io.github.iommufd4j.simulator.io.ScenarioParser;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import io.github.iommufd4j.testkit.InvariantRunner;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The fail-nth sweep over every shipped scenario file: each backend call of its clean run is failed in turn
 * (ENOMEM, and EINVAL or EBUSY where the call can return them), the invariants checked after every step, and
 * the backend must be empty after the final detach. An {@code INV-LEAK} (an orphan after a failed DETACH or
 * DESTROY, which QEMU leaks too) is allowed only in runs where such a call failed.
 */
class ExampleFailNthSweepTest {
    static {
        QuietLogs.on();
    }


    static InvariantRunner.Result run(Scenario s, Profile profile, InvariantRunner.InjectedFault fault) {
        try (MockBackend mock = new MockBackend()) {
            return InvariantRunner.run(s, profile, mock, fault);
        }
    }

    static List<String> unexcused(InvariantRunner.Result r, Scenario s, Profile profile,
                                  InvariantRunner.InjectedFault fault) {
        boolean leakingFault = (fault != null && (fault.op() == BackendOp.DETACH || fault.op() == BackendOp.DESTROY))
                || s.steps().stream().anyMatch(st -> st instanceof Step.Fault f
                        && (f.op() == BackendOp.DETACH || f.op() == BackendOp.DESTROY));
        return r.violations().stream().filter(v -> !(leakingFault && v.contains("INV-LEAK")
                && !(profile.orphanHandling() == OrphanHandling.RECLAIM && v.startsWith("after the final detach")))).toList();
    }

    @Test
    @DisplayName("Q-ATT-10, Q-DET-2: failing each call of every shipped scenario, on every profile, breaks no invariant")
    void failingEachCallOfEveryShippedScenarioBreaksNoInvariant() {
        List<Path> files = ScenarioFiles.all();
        assertThat(files).isNotEmpty();
        ScenarioParser parser = new ScenarioParser();
        List<String> failures = new ArrayList<>();
        int cases = 0;
        long t0 = System.nanoTime();
        for (Path file : files) {
          Scenario s = parser.parse(file).scenario();
          for (Profile profile : Profile.known()) {
            InvariantRunner.Result clean = run(s, profile, null);
            assertThat(unexcused(clean, s, profile, null)).as("clean run of %s on %s", file, profile.name()).isEmpty();
            for (Map.Entry<BackendOp, Long> e : clean.callCounts().entrySet()) {
                if (e.getKey() == BackendOp.UNBIND) {
                    continue;
                }
                for (int nth = 1; nth <= e.getValue(); nth++) {
                    for (Errno errno : ScenarioGenerator.plausibleErrnos(e.getKey())) {
                        InvariantRunner.InjectedFault fault = new InvariantRunner.InjectedFault(e.getKey(), nth, errno);
                        List<String> bad = unexcused(run(s, profile, fault), s, profile, fault);
                        cases++;
                        if (!bad.isEmpty()) {
                            failures.add(file + " on " + profile.name() + " with " + fault + ": " + bad);
                        }
                    }
                }
            }
          }
        }
        System.out.printf("example fail-nth sweep: %d files x %d profiles, %d (scenario, profile, call, errno) cases,"
                + " %d ms%n", files.size(), Profile.known().size(), cases, (System.nanoTime() - t0) / 1_000_000);
        assertThat(failures).isEmpty();
        assertThat(cases).isGreaterThanOrEqualTo(files.size());
    }
}
