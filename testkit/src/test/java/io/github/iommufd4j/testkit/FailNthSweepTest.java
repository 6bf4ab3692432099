package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.backend.mock.MockBackend;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.testkit.InvariantRunner;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kernel's {@code iommufd_fail_nth} idea applied to the VMM: for generated scenarios, every backend call
 * the clean run makes is failed in turn (with ENOMEM, and with EINVAL or EBUSY where the call can return
 * them), and the invariants must hold after every step and the backend be empty after the final detach.
 */
class FailNthSweepTest {
    static {
        QuietLogs.on();
    }

    /** Scenarios swept with the default profile; {@code safe} gets a quarter of that. */
    static final int SCENARIOS = Integer.getInteger("iommufd4j.sweepScenarios", 300);

    /** Runs the sweep over {@code scenario}; adds failures to {@code failures}; returns the number of cases. */
    static int sweep(Scenario scenario, Profile profile, long seed, List<String> failures, int[] leaks) {
        InvariantRunner.Result clean = run(scenario, profile, null);
        List<String> cleanBad = Verdicts.unexcused(clean, scenario, null, profile);
        if (!cleanBad.isEmpty()) {
            failures.add("clean run of seed 0x" + Long.toHexString(seed) + ": " + cleanBad);
            return 1;
        }
        int cases = 0;
        for (Map.Entry<BackendOp, Long> e : clean.callCounts().entrySet()) {
            BackendOp op = e.getKey();
            if (op == BackendOp.UNBIND) {
                continue; // close(fd): not a call that can fail, and not a fault op of the scenario format
            }
            for (int nth = 1; nth <= e.getValue(); nth++) {
                for (Errno errno : ScenarioGenerator.plausibleErrnos(op)) {
                    InvariantRunner.InjectedFault fault = new InvariantRunner.InjectedFault(op, nth, errno);
                    InvariantRunner.Result r = run(scenario, profile, fault);
                    cases++;
                    if (Verdicts.leakedLikeQemu(r)) {
                        leaks[0]++;
                    }
                    List<String> bad = Verdicts.unexcused(r, scenario, fault, profile);
                    if (!bad.isEmpty() && failures.size() < 5) {
                        String kind = Verdicts.kind(bad.get(0));
                        failures.add(Failures.shrinkAndDescribe("fail-nth-" + profile.name() + "-" + fault, seed, scenario,
                                c -> Verdicts.unexcused(run(c, profile, fault), c, fault, profile).stream()
                                        .anyMatch(v -> v.contains(kind)),
                                "injected " + fault + ":\n" + String.join("\n", bad)));
                    }
                }
            }
        }
        return cases;
    }

    static InvariantRunner.Result run(Scenario s, Profile profile, InvariantRunner.InjectedFault fault) {
        try (MockBackend mock = new MockBackend()) {
            return InvariantRunner.run(s, profile, mock, fault);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-9.1", "safe"})
    @DisplayName("Q-ATT-10, Q-DET-2, Q-DT-2: failing each backend call of generated scenarios in turn breaks no invariant")
    void failingEachCallOfGeneratedScenariosBreaksNoInvariant(String profileName) {
        Profile profile = Profile.named(profileName);
        int scenarios = profile.equals(Profile.defaultProfile()) ? SCENARIOS : SCENARIOS / 4;
        long base = Failures.baseSeed(0xfa11_0000L);
        ScenarioGenerator.Options options = ScenarioGenerator.Options.defaults().withoutFaults().withSteps(8, 16);
        List<String> failures = new ArrayList<>();
        int[] leaks = {0};
        long cases = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < scenarios; i++) {
            long seed = base + i;
            cases += sweep(ScenarioGenerator.generate(seed, options), profile, seed, failures, leaks);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("fail-nth sweep [%s]: %d generated scenarios, %d (scenario, call, errno) cases, %d QEMU-style"
                + " leaks after a failed DETACH/DESTROY, %d ms%n", profile.name(), scenarios, cases, leaks[0], ms);
        assertThat(failures).isEmpty();
        assertThat(cases).isGreaterThan(scenarios * 10L);
    }
}
