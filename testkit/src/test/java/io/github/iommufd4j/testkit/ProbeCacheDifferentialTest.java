package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.backend.mock.MockBackend;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import io.github.iommufd4j.simulator.SimulationOptions;
import io.github.iommufd4j.simulator.Simulator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The probe cache is an optimisation that must never change an outcome: thousands of generated scenarios
 * (without fault steps, whose nth-call counting the cache would shift by design) run through the simulator
 * with {@code qemu-9.1} and with {@code qemu-9.1+probe-cache} give reports equal in every field except each
 * step's {@code calls} and the profile's name.
 */
class ProbeCacheDifferentialTest {
    static {
        QuietLogs.on();
    }

    static final int CASES = Integer.getInteger("iommufd4j.diffCases", 3000);

    private final Simulator simulator = new Simulator(name -> new MockBackend());

    /** The report without what the cache changes by design: per-step calls and the profile's name. */
    static SimulationReport comparable(SimulationReport r) {
        List<StepReport> steps = r.steps().stream().map(s -> new StepReport(s.index(), s.op(), s.target(), s.ok(),
                s.errno(), s.message(), List.of(), s.warnings())).toList();
        return new SimulationReport(r.formatVersion(), r.scenario(), "-", r.backend(), steps, r.containers(),
                r.devices(), r.warnings(), r.dirty(), r.leakedObjects());
    }

    SimulationReport run(Scenario s, Profile p) {
        return simulator.run(s, new SimulationOptions(null, p.name())).report();
    }

    @Test
    @DisplayName("probe cache: same report as qemu-9.1 except calls, over generated scenarios")
    void probeCacheChangesNoOutcome() {
        long base = Failures.baseSeed(0xcac4_e000L);
        ScenarioGenerator.Options options = ScenarioGenerator.Options.defaults().withoutFaults();
        List<String> failures = new ArrayList<>();
        long callsPlain = 0;
        long callsCached = 0;
        int withFewerCalls = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < CASES && failures.size() < 3; i++) {
            long seed = base + i;
            Scenario s = ScenarioGenerator.generate(seed, options);
            SimulationReport plain = run(s, Profile.QEMU_9_1);
            SimulationReport cached = run(s, Profile.QEMU_9_1_CACHED);
            assertThat(cached.profile()).isEqualTo(Profile.QEMU_9_1_CACHED.name());
            long p = calls(plain);
            long c = calls(cached);
            callsPlain += p;
            callsCached += c;
            withFewerCalls += c < p ? 1 : 0;
            if (c > p) {
                failures.add("seed 0x" + Long.toHexString(seed) + ": the cache made more calls (" + c + " > " + p + ")");
            }
            if (!comparable(plain).equals(comparable(cached))) {
                failures.add(Failures.shrinkAndDescribe("probe-cache", seed, s,
                        x -> !comparable(run(x, Profile.QEMU_9_1)).equals(comparable(run(x, Profile.QEMU_9_1_CACHED))),
                        "plain:  " + comparable(plain) + "\ncached: " + comparable(cached)));
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("probe-cache differential: %d scenarios, backend calls %d plain vs %d cached, %d scenarios"
                + " with fewer calls, %d ms%n", CASES, callsPlain, callsCached, withFewerCalls, ms);
        assertThat(failures).isEmpty();
        // The comparison is only worth something if the cache did skip probes in some runs (it hits only when a
        // device re-attaches next to a HWPT that refused it before: about 2.5% of generated scenarios).
        assertThat(withFewerCalls).isGreaterThan(CASES / 100);
    }

    private static long calls(SimulationReport r) {
        return r.steps().stream().mapToLong(s -> s.calls().size()).sum();
    }

    /**
     * Hot-plug heavy scenarios: the generated host with steps that only attach and detach devices (and write and
     * sync), so devices often come back next to HWPTs that refused them, where the cache skips probes.
     */
    static Scenario hotplug(long seed) {
        Scenario host = ScenarioGenerator.generate(seed, ScenarioGenerator.Options.defaults().withoutFaults());
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed ^ 0x9e3779b97f4a7c15L);
        java.util.Set<String> attached = new java.util.TreeSet<>();
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String d = host.devices().get(rnd.nextInt(host.devices().size())).name();
            int w = rnd.nextInt(10);
            if (w < 5 && !attached.contains(d)) {
                steps.add(new Step.Attach(d));
                attached.add(d);
            } else if (w < 8 && attached.contains(d)) {
                steps.add(new Step.Detach(d));
                attached.remove(d);
            } else if (w == 8) {
                MemoryRange m = host.memory().get(0);
                steps.add(new Step.Dma(d, m.iova(), 4096));
            } else {
                steps.add(Step.Sync.allMemory());
            }
        }
        return new Scenario(1, "hotplug-" + Long.toHexString(seed), null, null, host.pageSize(), host.memory(),
                host.iommus(), host.devices(), steps);
    }

    @Test
    @DisplayName("probe cache: same report as qemu-9.1 except calls, over hot-plug heavy scenarios")
    void probeCacheChangesNoOutcomeUnderHotplug() {
        long base = Failures.baseSeed(0x4075_0000L);
        int n = CASES / 2;
        List<String> failures = new ArrayList<>();
        int withFewerCalls = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < n && failures.size() < 3; i++) {
            long seed = base + i;
            Scenario s = hotplug(seed);
            SimulationReport plain = run(s, Profile.QEMU_9_1);
            SimulationReport cached = run(s, Profile.QEMU_9_1_CACHED);
            withFewerCalls += calls(cached) < calls(plain) ? 1 : 0;
            if (!comparable(plain).equals(comparable(cached))) {
                failures.add(Failures.shrinkAndDescribe("probe-cache-hotplug", seed, s,
                        x -> !comparable(run(x, Profile.QEMU_9_1)).equals(comparable(run(x, Profile.QEMU_9_1_CACHED))),
                        "plain:  " + comparable(plain) + "\ncached: " + comparable(cached)));
            }
        }
        System.out.printf("probe-cache differential (hot-plug): %d scenarios, %d with fewer calls, %d ms%n", n,
                withFewerCalls, (System.nanoTime() - t0) / 1_000_000);
        assertThat(failures).isEmpty();
        // The mock gives every device its own group, so a hit needs the same device back next to a HWPT that
        // refused it: about 7% of these scenarios.
        assertThat(withFewerCalls).isGreaterThan(n / 20);
    }
}
