package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.backend.mock.MockBackend;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.testkit.InvariantRunner;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Thousands of seeded random scenarios (with fault steps) through the VMM on the in-memory backend, the
 * invariants of {@link io.github.iommufd4j.testkit.Invariants} checked after every step and after the final
 * detach. A failure prints the seed and writes the shrunk scenario under {@code target/shrunk/}.
 */
class GeneratedInvariantTest {
    static {
        QuietLogs.on();
    }

    /** Scenarios for the default profile; every other profile runs a quarter of that. */
    static final int CASES = Integer.getInteger("iommufd4j.cases", 5000);

    static InvariantRunner.Result run(Scenario s, Profile profile) {
        try (MockBackend mock = new MockBackend()) {
            return InvariantRunner.run(s, profile, mock, null);
        }
    }

    static Stream<Profile> profiles() {
        return Profile.known().stream();
    }

    @ParameterizedTest
    @MethodSource("profiles")
    @DisplayName("Q-ATT-10, Q-DET-1, Q-DT-2: invariants hold after every step of generated scenarios with faults")
    void invariantsHoldAfterEveryStepOfGeneratedScenarios(Profile profile) {
        long base = Failures.baseSeed(0x5eed_0001L);
        int n = profile.equals(Profile.defaultProfile()) ? CASES : CASES / 4;
        ScenarioGenerator.Options options = ScenarioGenerator.Options.defaults();
        List<String> failures = new ArrayList<>();
        long steps = 0;
        long failedSteps = 0;
        int cases = 0;
        int qemuLeaks = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < n && failures.size() < 3; i++) {
            long seed = base + i;
            Scenario s = ScenarioGenerator.generate(seed, options);
            InvariantRunner.Result r = run(s, profile);
            steps += s.steps().size();
            failedSteps += r.failedSteps();
            List<String> bad = Verdicts.unexcused(r, s, null, profile);
            if (Verdicts.leakedLikeQemu(r)) {
                qemuLeaks++;
            }
            if (!bad.isEmpty()) {
                String kind = Verdicts.kind(bad.get(0));
                failures.add(Failures.shrinkAndDescribe("invariants-" + profile.name(), seed, s,
                        c -> Verdicts.unexcused(run(c, profile), c, null, profile).stream().anyMatch(v -> v.contains(kind)),
                        String.join("\n", bad)));
            }
            cases++;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("generated invariants [%s]: %d scenarios, %d steps (%d failed as outcomes), %d QEMU-style leaks"
                + " after a failed DETACH/DESTROY, %d ms%n", profile.name(), cases, steps, failedSteps, qemuLeaks, ms);
        assertThat(failures).isEmpty();
        // The generator must produce failing steps too (faults, refused attaches), or the test proves little.
        assertThat(failedSteps).isGreaterThan(steps / 50);
    }
}
