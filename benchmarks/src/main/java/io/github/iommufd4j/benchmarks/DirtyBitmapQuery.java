package io.github.iommufd4j.benchmarks;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackends;
import java.util.Locale;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Merging and reading dirty bitmaps for a whole guest at 4 KiB pages (Q-DT-3): {@code guestSize} of 1 GiB,
 * 64 GiB or 1 TiB is a bitmap of 32 KiB, 2 MiB or 32 MiB (2^28 bits), and {@code sources} HWPT bitmaps (1, 2 or
 * 8) go into one destination.
 *
 * <ul>
 *   <li>{@link #or}: {@link DirtyBitmap#or} of each source into the destination.</li>
 *   <li>{@link #arraycopy_baseline}: {@link System#arraycopy} of the same number of bytes from each source
 *       {@code long[]} into one destination {@code long[]}: the physical floor. A copy reads one stream and writes
 *       one; an OR reads two and writes one, so OR moves 1.5x the memory traffic per bitmap byte.</li>
 *   <li>{@link #query}: {@code IOMMU_HWPT_GET_DIRTY_BITMAP} of the whole guest through the mock backend, once per
 *       HWPT, all into one bitmap (NO_CLEAR, so every query reports the same pages). HWPT {@code j} has every
 *       other 2 MiB dirty, starting at 0 or 2 MiB by the parity of {@code j}: half of the bits per HWPT, in runs of
 *       512 pages. The destination is not cleared between queries (the kernel only sets bits).</li>
 * </ul>
 *
 * <p>Bandwidth: the {@link Bytes} counter adds {@code sources * bitmapBytes} per invocation, and in throughput
 * mode JMH reports it per second: {@code bitmapBytes} ops/s is bytes of source bitmap per second; divide by
 * 10^9 for GB/s. Memory: 1 TiB with 8 sources holds 9 x 32 MiB per benchmark; the fork runs with {@code -Xmx4g}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@State(Scope.Thread)
public class DirtyBitmapQuery {
    static final long PAGE = 4096;
    static final long IOVA = 1L << 32;
    static final long DIRTY_RUN = 2L << 20;

    /** Guest RAM size: 1GiB, 64GiB or 1TiB. */
    @Param({"1GiB", "64GiB", "1TiB"})
    public String guestSize;

    /** Number of HWPT bitmaps merged into one. */
    @Param({"1", "2", "8"})
    public int sources;

    private long guestBytes;
    private long bitmapBytes;
    private long bytesPerInvocation;

    private DirtyBitmap[] sourceBitmaps;
    private DirtyBitmap destination;

    private long[][] sourceWords;
    private long[] destinationWords;

    private IommufdBackend mock;
    private int[] hwpts;

    /** Bytes of source bitmap processed, reported per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        /** Bytes of source bitmap merged, copied or queried. */
        public long bitmapBytes;

        @Setup(Level.Iteration)
        public void reset() {
            bitmapBytes = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        guestBytes = parseSize(guestSize);
        bitmapBytes = DirtyBitmap.byteSize(guestBytes, PAGE);
        bytesPerInvocation = bitmapBytes * sources;
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        switch (method) {
            case "or" -> setUpOr();
            case "arraycopy_baseline" -> setUpCopy();
            case "query" -> setUpQuery();
            default -> throw new IllegalStateException("no setup for benchmark method " + method);
        }
    }

    /** {@code 1GiB}, {@code 64GiB}, {@code 1TiB} (binary units) to bytes. */
    static long parseSize(String s) {
        String u = s.toUpperCase(Locale.ROOT);
        long unit = u.endsWith("TIB") ? 1L << 40 : u.endsWith("GIB") ? 1L << 30 : u.endsWith("MIB") ? 1L << 20 : 0;
        if (unit == 0) {
            throw new IllegalArgumentException("guest size '" + s + "' is not a number of MiB, GiB or TiB (e.g. 64GiB)");
        }
        return Long.parseLong(u.substring(0, u.length() - 3).trim()) * unit;
    }

    private void setUpOr() {
        SplittableRandom random = new SplittableRandom(42);
        sourceBitmaps = new DirtyBitmap[sources];
        for (int s = 0; s < sources; s++) {
            DirtyBitmap b = DirtyBitmap.forRange(guestBytes, PAGE);
            for (int w = 0; w < b.wordCount(); w++) {
                b.orWord(w, random.nextLong());
            }
            sourceBitmaps[s] = b;
        }
        destination = DirtyBitmap.forRange(guestBytes, PAGE);
    }

    private void setUpCopy() {
        SplittableRandom random = new SplittableRandom(42);
        int words = (int) (bitmapBytes / 8);
        sourceWords = new long[sources][words];
        for (long[] src : sourceWords) {
            for (int w = 0; w < words; w++) {
                src[w] = random.nextLong();
            }
        }
        destinationWords = new long[words];
    }

    private void setUpQuery() {
        mock = IommufdBackends.provider("mock").open(BackendOptions.empty());
        DeviceProvisioning devices = mock.provisioning().orElseThrow();
        DmaSimulation dma = mock.dmaSimulation().orElseThrow();
        // An IOMMU with a 48-bit aperture and 4 KiB IOPTEs: the selftest mock's 2 GiB aperture holds no big guest.
        IommuSpec iommu = new IommuSpec("iommu-q", "q", true, false, 0, (1L << 48) - 1, PAGE);
        int ioas = mock.ioasAlloc();
        mock.ioasMap(ioas, IOVA, guestBytes);
        hwpts = new int[sources];
        for (int j = 0; j < sources; j++) {
            BoundDevice dev = mock.bind(devices.createDevice(DeviceSpec.plain("q" + j, iommu)));
            hwpts[j] = mock.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING));
            mock.attach(dev.devId(), hwpts[j]);
            mock.setDirtyTracking(hwpts[j], true);
            for (long off = (j % 2) * DIRTY_RUN; off < guestBytes; off += 2 * DIRTY_RUN) {
                dma.dmaWrite(dev.devId(), IOVA + off, Math.min(DIRTY_RUN, guestBytes - off));
            }
        }
        destination = DirtyBitmap.forRange(guestBytes, PAGE);
        query(new Bytes());
        long pages = DirtyBitmap.pageCount(guestBytes, PAGE);
        long expected = sources == 1 ? dirtyPagesOfParity(0, pages) : pages;
        if (destination.cardinality() != expected) {
            throw new IllegalStateException("the query reported " + destination.cardinality() + " dirty pages of "
                    + pages + "; the setup dirtied " + expected);
        }
    }

    private static long dirtyPagesOfParity(int parity, long pages) {
        long runPages = DIRTY_RUN / PAGE;
        long n = 0;
        for (long first = parity * runPages; first < pages; first += 2 * runPages) {
            n += Math.min(runPages, pages - first);
        }
        return n;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (mock != null) {
            mock.close();
        }
    }

    /** {@link DirtyBitmap#or} of every source into the destination. */
    @Benchmark
    public DirtyBitmap or(Bytes bytes) {
        DirtyBitmap d = destination;
        for (DirtyBitmap s : sourceBitmaps) {
            d.or(s);
        }
        bytes.bitmapBytes += bytesPerInvocation;
        return d;
    }

    /** The floor: {@link System#arraycopy} of every source's bytes into one destination. */
    @Benchmark
    public long[] arraycopy_baseline(Bytes bytes) {
        long[] d = destinationWords;
        for (long[] s : sourceWords) {
            System.arraycopy(s, 0, d, 0, d.length);
        }
        bytes.bitmapBytes += bytesPerInvocation;
        return d;
    }

    /** GET_DIRTY_BITMAP of the whole guest from every HWPT into one bitmap, through the mock backend. */
    @Benchmark
    public DirtyBitmap query(Bytes bytes) {
        DirtyBitmap d = destination;
        for (int hwpt : hwpts) {
            mock.getDirtyBitmap(hwpt, IOVA, guestBytes, PAGE, true, d);
        }
        bytes.bitmapBytes += bytesPerInvocation;
        return d;
    }
}
