package io.github.iommufd4j.benchmarks;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import io.github.iommufd4j.backend.linux.sys.Ioctls;
import io.github.iommufd4j.backend.linux.sys.JnaIoctls;
import io.github.iommufd4j.backend.linux.sys.NativeStruct;
import io.github.iommufd4j.backend.linux.uapi.IommuDestroy;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one ioctl through backend-linux's native layer ({@link Ioctls#ioctl} of {@link JnaIoctls}: struct
 * bytes copied into a fresh {@link Memory}, the JNA direct-mapped call, errno from {@link LastErrorException})
 * against a bare JNA direct-mapped call of the same ioctl ({@code baseline}), all on {@code /dev/null} with
 * {@code IOMMU_DESTROY} ({@code 0x3b80}), which the kernel answers ENOTTY without side effects.
 *
 * <p>Every method returns the errno, and setup checks that it is ENOTTY on each path. Because a failing
 * ioctl takes JNA's exception path, the {@code success_} methods repeat the comparison with {@code FIOCLEX}
 * ({@code 0x5451}, sets close-on-exec on the fd, which it has already; returns 0 and ignores the argument),
 * where the native layer's copy in and out of native memory shows. The floor below JNA is the C loop
 * {@code src/main/c/ioctl_loop.c}, run by {@code benchmarks/run-native-floor} (not a JMH method).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class NativeIoctl {
    static final int ENOTTY = 25;
    /** {@code FIOCLEX}: set close-on-exec; succeeds on any fd. */
    static final int FIOCLEX = 0x5451;

    /** libc's ioctl bound by direct mapping, errno through {@link LastErrorException} (as {@link JnaIoctls}). */
    static final class BareLibC {
        static {
            Native.register(Platform.C_LIBRARY_NAME);
        }

        static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;
    }

    /** libc's ioctl bound by direct mapping without the exception; errno read with {@link Native#getLastError}. */
    static final class BareLibCNoThrow {
        static {
            Native.register(Platform.C_LIBRARY_NAME);
        }

        static native int ioctl(int fd, long request, Pointer arg);
    }

    private Ioctls sys;
    private int fd = -1;
    private NativeStruct destroy;
    private Memory bareArg;
    private long request;

    @Setup
    public void setUp() {
        sys = JnaIoctls.get();
        fd = sys.open("/dev/null", Ioctls.O_RDWR | Ioctls.O_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("open(/dev/null) failed: errno " + -fd);
        }
        destroy = IommuDestroy.encode(0);
        bareArg = new Memory(IommuDestroy.SIZE);
        bareArg.write(0, destroy.toBytes(), 0, IommuDestroy.SIZE);
        request = Integer.toUnsignedLong(IommuDestroy.REQUEST);
        if (request != 0x3b80) {
            throw new IllegalStateException("IOMMU_DESTROY is 0x" + Long.toHexString(request) + ", expected 0x3b80");
        }
        expectEnotty("native layer", nativeLayer());
        expectEnotty("native layer with encode", nativeLayer_withEncode());
        expectEnotty("bare JNA", bareJna_baseline());
        expectEnotty("bare JNA without exception", bareJna_noException());
        for (int errno : new int[] {success_nativeLayer(), success_bareJna_baseline()}) {
            if (errno != 0) {
                throw new IllegalStateException("FIOCLEX on /dev/null failed with errno " + errno);
            }
        }
    }

    private static void expectEnotty(String path, int errno) {
        if (errno != ENOTTY) {
            throw new IllegalStateException("IOMMU_DESTROY on /dev/null through the " + path + " returned errno "
                    + errno + ", expected ENOTTY (25)");
        }
    }

    @TearDown
    public void tearDown() {
        if (fd >= 0) {
            sys.close(fd);
            fd = -1;
        }
        bareArg.close();
    }

    /** One ioctl through the native layer, with a struct built once. */
    @Benchmark
    public int nativeLayer() {
        return sys.ioctl(fd, IommuDestroy.REQUEST, destroy);
    }

    /** As the backend calls it: build {@code struct iommu_destroy}, then the native layer. */
    @Benchmark
    public int nativeLayer_withEncode() {
        return sys.ioctl(fd, IommuDestroy.REQUEST, IommuDestroy.encode(0));
    }

    /** The baseline: the same ioctl as a bare JNA direct-mapped call, errno from {@link LastErrorException}. */
    @Benchmark
    public int bareJna_baseline() {
        try {
            BareLibC.ioctl(fd, request, bareArg);
            return 0;
        } catch (LastErrorException e) {
            return e.getErrorCode();
        }
    }

    /** Below the baseline, for reference: bare JNA without the exception, errno from {@link Native#getLastError}. */
    @Benchmark
    public int bareJna_noException() {
        return BareLibCNoThrow.ioctl(fd, request, bareArg) == 0 ? 0 : Native.getLastError();
    }

    /** Success path: FIOCLEX through the native layer (copy in, call, copy back). */
    @Benchmark
    public int success_nativeLayer() {
        return sys.ioctl(fd, FIOCLEX, destroy);
    }

    /** Success path baseline: FIOCLEX as a bare JNA direct-mapped call. */
    @Benchmark
    public int success_bareJna_baseline() {
        try {
            BareLibC.ioctl(fd, FIOCLEX, bareArg);
            return 0;
        } catch (LastErrorException e) {
            return e.getErrorCode();
        }
    }
}
