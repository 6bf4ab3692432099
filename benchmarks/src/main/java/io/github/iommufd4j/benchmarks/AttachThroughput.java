package io.github.iommufd4j.benchmarks;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackends;
import io.github.iommufd4j.core.DeviceConfig;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.core.Snapshots;
import io.github.iommufd4j.core.VfioIommufd;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
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
 * How fast core's {@link VfioIommufd} assigns and unassigns one device (Q-ATT-1 to Q-ATT-3, Q-DET-1) on a
 * backend, as a function of how many HWPTs in the container the device cannot join.
 *
 * <p>The backend is chosen as the TCK chooses one: a provider name ({@link #backend}, found with
 * {@link IommufdBackends}) and {@code key=value} options ({@link #backendOptions}), here separated by {@code ;}
 * because JMH splits a {@code -p} value at commas: {@code -p backend=linux -p backendOptions=source=selftest}.
 * The backend must make devices ({@code DeviceProvisioning}); a backend that cannot make what a parameter needs
 * (the selftest mock has one IOMMU family, so no incompatible HWPT) fails that parameter's setup saying so.
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

    /** The backend provider's name, as for the TCK ({@code -Diommufd4j.backend}). */
    @Param({"mock"})
    public String backend;

    /**
     * The backend's options: {@code key=value} pairs separated by {@code ;} (JMH splits {@code -p} values at
     * commas), e.g. {@code source=selftest}. Empty: none.
     */
    @Param({""})
    public String backendOptions;

    private IommufdBackend opened;
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

    /** Options from {@code key=value;key=value} (blank: none). */
    static BackendOptions parseOptions(String text) {
        if (text == null || text.isBlank()) {
            return BackendOptions.empty();
        }
        return BackendOptions.parse(Arrays.stream(text.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList());
    }

    @Setup(Level.Trial)
    public void setUp() {
        opened = IommufdBackends.provider(backend).open(parseOptions(backendOptions));
        DeviceProvisioning devices = opened.provisioning().orElseThrow(() -> new IllegalStateException(
                "backend " + backend + " (" + backendOptions + ") cannot make devices: AttachThroughput needs DeviceProvisioning"));
        counting = new CountingBackend(opened);
        vmm = new VfioIommufd(counting, Profile.named(profile), 4096);
        for (int i = 0; i < incompatibleHwpts; i++) {
            String name = "other-" + i;
            make(devices, DeviceSpec.plain(name, devices.iommu("iommu-" + i, "family-" + i, true, true)));
            vmm.attach(DeviceConfig.of(name));
        }
        make(devices, DeviceSpec.plain(MEASURED, devices.iommu("iommu-measured", "family-measured", true, true)));
        checkTopology();
        // The first cycle fills the probe cache (when the profile has one); the second is the steady state.
        cycle();
        Optional<Map<BackendOp, Long>> before = callCounts();
        Map<BackendOp, Long> counted = counting.perOp();
        long countedBefore = counting.calls;
        cycle();
        Map<BackendOp, Long> perCycle = delta(counted, counting.perOp());
        long total = perCycle.values().stream().mapToLong(Long::longValue).sum();
        if (total != counting.calls - countedBefore) {
            throw new IllegalStateException("the counting decorator's total " + (counting.calls - countedBefore)
                    + " and its calls per operation " + perCycle + " disagree");
        }
        // Where the backend counts calls itself (FaultInjection), it must have seen the same.
        Optional<Map<BackendOp, Long>> own = before.flatMap(b -> callCounts().map(a -> delta(b, a)));
        own.filter(o -> !o.equals(perCycle)).ifPresent(o -> {
            throw new IllegalStateException("the counting decorator saw " + perCycle + " in one cycle, the backend counted " + o);
        });
        System.out.println("\n[AttachThroughput] backend=" + backend + " (" + backendOptions + ") incompatibleHwpts="
                + incompatibleHwpts + " profile=" + profile + ": " + total + " backend calls per steady-state attach+detach cycle "
                + perCycle + (own.isPresent() ? " (the backend's own count agrees)" : ""));
    }

    private void make(DeviceProvisioning devices, DeviceSpec spec) {
        Optional<String> why = devices.cannotCreate(spec);
        if (why.isPresent()) {
            throw new IllegalStateException("backend " + backend + " (" + backendOptions + ") cannot make device " + spec.name()
                    + " for incompatibleHwpts=" + incompatibleHwpts + ": " + why.get());
        }
        devices.createDevice(spec);
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

    /** The backend's own call counts, where it keeps them. */
    private Optional<Map<BackendOp, Long>> callCounts() {
        return opened.faultInjection().map(f -> new EnumMap<>(f.callCounts()));
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
        if (vmm != null) {
            vmm.attachedDeviceNames().forEach(vmm::detach);
        }
        opened.close();
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
