package io.github.iommufd4j.benchmarks;

import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwCap;
import io.github.iommufd4j.api.HwInfoType;
import io.github.iommufd4j.api.HwptAllocFlag;
import java.util.EnumSet;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot-path flag checks: "is this HWPT dirty-tracking" ({@code FlagSet<HwptAllocFlag>.contains}, what core's
 * {@code Hwpt.isDirtyTracking} does, Q-ATT-4) and "does this IOMMU report the capability"
 * ({@link HostIommuDevice#supportsDirtyTracking}, {@code FlagSet<HwCap>.contains}, Q-ATT-3), against
 * {@link EnumSet#contains} and, as the floor ({@code baseline}), a plain boolean field read.
 *
 * <p>Two shapes: a single check on a non-final field (the JIT cannot fold it; JMH consumes the result), and a
 * batch of 1024 checks over arrays of mixed values ({@code @OperationsPerInvocation(1024)}), where call overhead
 * is amortised and the check itself shows. Run with {@code -prof gc} to see the allocation rate
 * ({@code gc.alloc.rate.norm}, bytes per operation): it is the goal that every method here shows 0.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FlagCheck {
    static final int BATCH = 1024;

    private FlagSet<HwptAllocFlag> hwptFlags;
    private EnumSet<HwptAllocFlag> hwptEnumSet;
    private boolean hwptDirtyField;

    private HostIommuDevice hostIommu;
    private FlagSet<HwCap> caps;
    private EnumSet<HwCap> capsEnumSet;
    private boolean capsDirtyField;

    private FlagSet<HwptAllocFlag>[] hwptFlagsBatch;
    private EnumSet<HwptAllocFlag>[] hwptEnumSetBatch;
    private DirtyField[] hwptDirtyFieldBatch;
    private boolean[] hwptDirtyBatch;

    /** What a HWPT would be if it kept a boolean instead of its flag set: one object, one field. */
    static final class DirtyField {
        final boolean dirty;

        DirtyField(boolean dirty) {
            this.dirty = dirty;
        }
    }

    @Setup
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void setUp() {
        hwptFlags = HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING);
        hwptEnumSet = EnumSet.of(HwptAllocFlag.DIRTY_TRACKING);
        hwptDirtyField = true;
        caps = HwCap.setOf(HwCap.DIRTY_TRACKING);
        capsEnumSet = EnumSet.of(HwCap.DIRTY_TRACKING);
        capsDirtyField = true;
        hostIommu = new HostIommuDevice("dev0", HwInfoType.SELFTEST.code(), caps, new byte[8]);

        // Mixed values so the batch loops cannot predict or fold the answer; the same values in all three forms.
        SplittableRandom random = new SplittableRandom(0x5eed);
        hwptFlagsBatch = new FlagSet[BATCH];
        hwptEnumSetBatch = new EnumSet[BATCH];
        hwptDirtyFieldBatch = new DirtyField[BATCH];
        hwptDirtyBatch = new boolean[BATCH];
        for (int i = 0; i < BATCH; i++) {
            boolean dirty = random.nextBoolean();
            boolean nest = random.nextBoolean();
            EnumSet<HwptAllocFlag> set = EnumSet.noneOf(HwptAllocFlag.class);
            if (dirty) {
                set.add(HwptAllocFlag.DIRTY_TRACKING);
            }
            if (nest) {
                set.add(HwptAllocFlag.NEST_PARENT);
            }
            hwptEnumSetBatch[i] = set;
            hwptFlagsBatch[i] = FlagSet.of(HwptAllocFlag.class, set.toArray(new HwptAllocFlag[0]));
            hwptDirtyFieldBatch[i] = new DirtyField(dirty);
            hwptDirtyBatch[i] = dirty;
        }
    }

    // ---------------------------------------------------------------- single check: HWPT flag

    /** {@code FlagSet<HwptAllocFlag>.contains(DIRTY_TRACKING)}. */
    @Benchmark
    public boolean hwptDirty_flagSet() {
        return hwptFlags.contains(HwptAllocFlag.DIRTY_TRACKING);
    }

    /** The same question asked of an {@link EnumSet}. */
    @Benchmark
    public boolean hwptDirty_enumSet() {
        return hwptEnumSet.contains(HwptAllocFlag.DIRTY_TRACKING);
    }

    /** The floor: a boolean field. */
    @Benchmark
    public boolean hwptDirty_baseline_booleanField() {
        return hwptDirtyField;
    }

    // ---------------------------------------------------------------- single check: IOMMU capability

    /** {@link HostIommuDevice#supportsDirtyTracking}: a record accessor, then the {@code FlagSet} check. */
    @Benchmark
    public boolean iommuDirty_hostIommuDevice() {
        return hostIommu.supportsDirtyTracking();
    }

    /** {@code FlagSet<HwCap>.contains(DIRTY_TRACKING)}. */
    @Benchmark
    public boolean iommuDirty_flagSet() {
        return caps.contains(HwCap.DIRTY_TRACKING);
    }

    /** The same question asked of an {@link EnumSet}. */
    @Benchmark
    public boolean iommuDirty_enumSet() {
        return capsEnumSet.contains(HwCap.DIRTY_TRACKING);
    }

    /** The floor: a boolean field. */
    @Benchmark
    public boolean iommuDirty_baseline_booleanField() {
        return capsDirtyField;
    }

    // ---------------------------------------------------------------- batch of 1024 HWPT checks

    /** 1024 {@code FlagSet.contains} checks over mixed sets; returns how many are dirty-tracking. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int batchHwptDirty_flagSet() {
        int n = 0;
        for (FlagSet<HwptAllocFlag> f : hwptFlagsBatch) {
            if (f.contains(HwptAllocFlag.DIRTY_TRACKING)) {
                n++;
            }
        }
        return n;
    }

    /** The same over {@link EnumSet}s. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int batchHwptDirty_enumSet() {
        int n = 0;
        for (EnumSet<HwptAllocFlag> f : hwptEnumSetBatch) {
            if (f.contains(HwptAllocFlag.DIRTY_TRACKING)) {
                n++;
            }
        }
        return n;
    }

    /**
     * The floor: the same over objects holding a boolean field (one dereference per element, as for a
     * {@code FlagSet}).
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int batchHwptDirty_baseline_booleanField() {
        int n = 0;
        for (DirtyField f : hwptDirtyFieldBatch) {
            if (f.dirty) {
                n++;
            }
        }
        return n;
    }

    /** Below the floor, for reference: a {@code boolean[]} (no dereference; the JIT may vectorise it). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int batchHwptDirty_booleanArray() {
        int n = 0;
        for (boolean dirty : hwptDirtyBatch) {
            if (dirty) {
                n++;
            }
        }
        return n;
    }
}
