package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FaultInjectingBackend;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.backend.linux.SelftestOnMockKernel;
import io.github.iommufd4j.backend.linux.sys.MockKernelIoctls;
import io.github.iommufd4j.backend.mock.MockBackend;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
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
 *
 * <p>The faults come from the api's {@code FaultInjectingBackend}: the mock's own (it is assembled with one), and
 * in front of any other backend the one the simulator puts there. The sweep runs on two backends: the mock, and
 * backend-linux's selftest source over {@link MockKernelIoctls} (the kernel's selftest mock played by the mock
 * backend behind the ioctl seam), a second implementation of the SPI whose bookkeeping, buffers and device source
 * are its own; after each of its runs every native buffer and fd must be released.
 */
class FailNthSweepTest {
    static {
        QuietLogs.on();
    }

    /** Scenarios swept with the default profile; {@code safe} gets a quarter of that. */
    static final int SCENARIOS = Integer.getInteger("iommufd4j.sweepScenarios", 300);
    /** Scenarios swept in front of linux with the default profile (a third of the mock's); {@code safe} a quarter. */
    static final int LINUX_SCENARIOS = SCENARIOS / 3;

    /** One checked run of a scenario with a fault injected first (or none) on a fresh backend. */
    @FunctionalInterface
    interface Runner {
        InvariantRunner.Result run(Scenario s, Profile profile, InvariantRunner.InjectedFault fault);
    }

    /** Runs the sweep over {@code scenario}; adds failures to {@code failures}; returns the number of cases. */
    static int sweep(Runner runner, String label, Scenario scenario, Profile profile, long seed, List<String> failures,
                     int[] leaks) {
        InvariantRunner.Result clean = runner.run(scenario, profile, null);
        List<String> cleanBad = Verdicts.unexcused(clean, scenario, null, profile);
        if (!cleanBad.isEmpty()) {
            failures.add("clean run of seed 0x" + Long.toHexString(seed) + " on " + label + ": " + cleanBad);
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
                    InvariantRunner.Result r = runner.run(scenario, profile, fault);
                    cases++;
                    if (Verdicts.leakedLikeQemu(r)) {
                        leaks[0]++;
                    }
                    List<String> bad = Verdicts.unexcused(r, scenario, fault, profile);
                    if (!bad.isEmpty() && failures.size() < 5) {
                        String kind = Verdicts.kind(bad.get(0));
                        failures.add(Failures.shrinkAndDescribe("fail-nth-" + label + "-" + profile.name() + "-" + fault,
                                seed, scenario, c -> Verdicts.unexcused(runner.run(c, profile, fault), c, fault, profile)
                                        .stream().anyMatch(v -> v.contains(kind)),
                                "injected " + fault + " on " + label + ":\n" + String.join("\n", bad)));
                    }
                }
            }
        }
        return cases;
    }

    /** A run on a fresh mock, whose own fault injection fires the fault. */
    static InvariantRunner.Result run(Scenario s, Profile profile, InvariantRunner.InjectedFault fault) {
        try (MockBackend mock = new MockBackend()) {
            return InvariantRunner.run(s, profile, mock, fault);
        }
    }

    /**
     * A run on a fresh linux backend (selftest source over the mock kernel), which has no fault injection of its
     * own. The {@code FaultInjectingBackend} goes directly in front of it, beneath the runner's invariant observer,
     * so that the observer sees an injected failure as the kernel's answer, as it does on the mock. (Left to the
     * simulator, the decorator would sit in front of the observer, which would then miss the failed calls.)
     * Native buffers or fds left after close are violations.
     */
    static InvariantRunner.Result runOnLinux(Scenario s, Profile profile, InvariantRunner.InjectedFault fault) {
        MockKernelIoctls sys = new MockKernelIoctls();
        InvariantRunner.Result r;
        try (IommufdBackend linux = SelftestOnMockKernel.open(sys)) {
            assertThat(linux.faultInjection()).as("linux injects no faults of its own").isEmpty();
            r = InvariantRunner.run(s, profile, new FaultInjectingBackend(linux), fault);
        }
        if (sys.liveRegions() == 0 && sys.openFds() == 0) {
            return r;
        }
        List<String> violations = new ArrayList<>(r.violations());
        violations.add("after close: " + sys.liveRegions() + " native regions and " + sys.openFds() + " fds not released");
        return new InvariantRunner.Result(List.copyOf(violations), r.callCounts(), r.failedSteps());
    }

    /**
     * {@code s} as the kernel's selftest mock can stand for it: one IOMMU family, every IOMMU a nesting parent, no
     * mdev and no VF dirty tracking (what the selftest source refuses in {@code cannotCreate}); steps unchanged.
     */
    static Scenario inSelftestReach(Scenario s) {
        List<IommuDef> iommus = s.iommus().stream()
                .map(i -> new IommuDef(i.id(), IommuDef.DEFAULT_FAMILY, i.dirtyTracking(), true)).toList();
        List<DeviceDef> devices = s.devices().stream()
                .map(d -> new DeviceDef(d.name(), d.iommu(), false, false, d.migration(), d.p2p(), d.enableMigration(),
                        d.deviceDirtyPageTracking(), d.viommu())).toList();
        return new Scenario(s.version(), s.name(), s.profile(), s.backend(), s.pageSize(), s.memory(), iommus, devices,
                s.steps());
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
            cases += sweep(FailNthSweepTest::run, "mock", ScenarioGenerator.generate(seed, options), profile, seed,
                    failures, leaks);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("fail-nth sweep [%s]: %d generated scenarios, %d (scenario, call, errno) cases, %d QEMU-style"
                + " leaks after a failed DETACH/DESTROY, %d ms%n", profile.name(), scenarios, cases, leaks[0], ms);
        assertThat(failures).isEmpty();
        assertThat(cases).isGreaterThan(scenarios * 10L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-9.1", "safe"})
    @DisplayName("K-FAIL, Q-ATT-10, Q-DET-2: the fail-nth sweep in front of linux (selftest source over the mock kernel)"
            + " breaks no invariant and leaks no native resource")
    void failingEachCallInFrontOfLinuxBreaksNoInvariant(String profileName) {
        Profile profile = Profile.named(profileName);
        int scenarios = profile.equals(Profile.defaultProfile()) ? LINUX_SCENARIOS : LINUX_SCENARIOS / 4;
        long base = Failures.baseSeed(0xfa11_0000L);
        ScenarioGenerator.Options options = ScenarioGenerator.Options.defaults().withoutFaults().withSteps(8, 16);
        List<String> failures = new ArrayList<>();
        int[] leaks = {0};
        long cases = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < scenarios; i++) {
            long seed = base + i;
            Scenario s = inSelftestReach(ScenarioGenerator.generate(seed, options));
            cases += sweep(FailNthSweepTest::runOnLinux, "linux", s, profile, seed, failures, leaks);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("fail-nth sweep [%s] in front of linux (selftest source over the mock kernel): %d generated"
                + " scenarios, %d (scenario, call, errno) cases, %d QEMU-style leaks after a failed DETACH/DESTROY, %d ms%n",
                profile.name(), scenarios, cases, leaks[0], ms);
        assertThat(failures).isEmpty();
        assertThat(cases).isGreaterThan(scenarios * 10L);
    }
}
