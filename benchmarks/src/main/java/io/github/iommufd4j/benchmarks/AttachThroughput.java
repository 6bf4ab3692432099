package io.github.iommufd4j.benchmarks;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.FaultInjection;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackends;
import io.github.iommufd4j.core.DeviceConfig;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.core.Snapshots;
import io.github.iommufd4j.core.VfioIommufd;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How fast core's {@link VfioIommufd} assigns and unassigns one device (Q-ATT-1 to Q-ATT-3, Q-DET-1) on the
 * mock backend, as a function of how many HWPTs in the container the device cannot join.
 *
 * <p>Setup: {@code incompatibleHwpts} devices, each behind an IOMMU of its own family, are attached first; they
 * share one container and each gets a HWPT of its own (an attach across families is EINVAL in the mock). The
 * measured device, of yet another family, then probes every one of those HWPTs (Q-ATT-2), allocates its own
 * (Q-ATT-3) and is detached again, which frees that HWPT (Q-DET-1). With {@code incompatibleHwpts = 0} there is
 * no container yet: the cycle allocates and destroys the IOAS as well. That is the baseline.
 *
 * <p>With the {@code qemu-9.1+probe-cache} profile the first cycle remembers the EINVALs, so later cycles skip
 * the probes: the backend calls per cycle must stay flat while plain {@code qemu-9.1} grows by one ATTACH per
 * incompatible HWPT. {@link Calls} reports both counts as rates; divide by the primary score for calls per
 * cycle. The exact per-operation breakdown of one steady-state cycle is printed at setup.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class AttachThroughput {
    static final String MEASURED = "measured";

    /** HWPTs already in the container that the measured device cannot join. */
    @Param({"0", "1", "16", "256"})
    public int incompatibleHwpts;

    /** The core profile, by the name users give on the command line. */
    @Param({"qemu-9.1", "qemu-9.1+probe-cache", "safe"})
    public String profile;

    private IommufdBackend mock;
    private CountingBackend counting;
    private VfioIommufd vmm;
    private final DeviceConfig measured = DeviceConfig.of(MEASURED);

    /** Per-iteration counters: backend calls and EINVAL probes, reported as rates next to the cycle rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Calls {
        /** Kernel calls made by the measured attach+detach cycles. */
        public long backendCalls;
        /** ATTACH calls that answered EINVAL (Q-ATT-2 probes of an incompatible HWPT). */
        public long probes;

        @Setup(Level.Iteration)
        public void reset() {
            backendCalls = 0;
            probes = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        mock = IommufdBackends.provider("mock").open(BackendOptions.empty());
        DeviceProvisioning devices = mock.provisioning()
                .orElseThrow(() -> new IllegalStateException("the mock backend cannot make devices"));
        counting = new CountingBackend(mock);
        vmm = new VfioIommufd(counting, Profile.named(profile), 4096);
        for (int i = 0; i < incompatibleHwpts; i++) {
            String name = "other-" + i;
            devices.createDevice(DeviceSpec.plain(name, IommuSpec.of("iommu-" + i, "family-" + i, true, false)));
            vmm.attach(DeviceConfig.of(name));
        }
        devices.createDevice(DeviceSpec.plain(MEASURED, IommuSpec.of("iommu-measured", "family-measured", true, false)));
        checkTopology();
        // The first cycle fills the probe cache (when the profile has one); the second is the steady state.
        cycle();
        Map<BackendOp, Long> before = callCounts();
        long countedBefore = counting.calls;
        cycle();
        Map<BackendOp, Long> perCycle = delta(before, callCounts());
        long total = perCycle.values().stream().mapToLong(Long::longValue).sum();
        if (total != counting.calls - countedBefore) {
            throw new IllegalStateException("the counting decorator saw " + (counting.calls - countedBefore)
                    + " calls in one cycle, the mock counted " + total + " " + perCycle);
        }
        System.out.println("\n[AttachThroughput] incompatibleHwpts=" + incompatibleHwpts + " profile=" + profile
                + ": " + total + " backend calls per steady-state attach+detach cycle " + perCycle);
    }

    /** The setup must have made one container with exactly {@code incompatibleHwpts} HWPTs, one per family. */
    private void checkTopology() {
        Snapshots.Topology t = vmm.snapshot();
        int hwpts = t.addressSpaces().stream().flatMap(s -> s.containers().stream())
                .mapToInt(c -> c.hwpts().size()).sum();
        int containers = t.addressSpaces().stream().mapToInt(s -> s.containers().size()).sum();
        if (hwpts != incompatibleHwpts || containers != (incompatibleHwpts == 0 ? 0 : 1)) {
            throw new IllegalStateException("setup made " + containers + " container(s) with " + hwpts
                    + " HWPT(s); wanted " + (incompatibleHwpts == 0 ? 0 : 1) + " with " + incompatibleHwpts);
        }
    }

    private int cycle() {
        vmm.attach(measured);
        int devId = vmm.devId(MEASURED);
        vmm.detach(MEASURED);
        return devId;
    }

    private Map<BackendOp, Long> callCounts() {
        FaultInjection f = mock.faultInjection()
                .orElseThrow(() -> new IllegalStateException("the mock backend does not count calls"));
        return new EnumMap<>(f.callCounts());
    }

    private static Map<BackendOp, Long> delta(Map<BackendOp, Long> before, Map<BackendOp, Long> after) {
        Map<BackendOp, Long> out = new EnumMap<>(BackendOp.class);
        for (Map.Entry<BackendOp, Long> e : after.entrySet()) {
            long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (d != 0) {
                out.put(e.getKey(), d);
            }
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mock.close();
    }

    /** One attach of the measured device and its detach; returns the device id it was bound as. */
    @Benchmark
    public int attachDetach(Calls calls) {
        long c0 = counting.calls;
        long p0 = counting.probes;
        int devId = cycle();
        calls.backendCalls += counting.calls - c0;
        calls.probes += counting.probes - p0;
        return devId;
    }
}
