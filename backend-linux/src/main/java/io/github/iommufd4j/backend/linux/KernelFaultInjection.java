package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FaultSchedule;
import io.github.iommufd4j.backend.linux.sys.ArmedIoctl;
import io.github.iommufd4j.backend.linux.sys.FailNthFile;
import io.github.iommufd4j.backend.linux.sys.Ioctls;
import io.github.iommufd4j.backend.linux.sys.NativeCallException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * {@code faults=kernel}: {@link KernelFaults} for a {@link LinuxBackend}. It counts every call of the backend as
 * {@code FaultInjectingBackend} does (one {@link BackendOp} per backend method, failed calls included) and, for a
 * call a fault aims at, arms the kernel's fail-nth for that call's own ioctl ({@link KernelCalls#arm}): the fault
 * point comes from {@link FailNthTable} for the errno asked ({@link #failNth}) or is given ({@link #failPoint}).
 *
 * <p>fail-nth counts the fault points of the thread that opened {@code /proc/thread-self/fail-nth}, so each
 * calling thread gets its own file, opened on its first armed call and closed with the backend. The global knob
 * {@code failslab/ignore-gfp-wait} must be {@code N} (its default {@code Y} exempts every allocation that may
 * sleep, nearly all of iommufd's): it is set at open and left so, which is harmless, since {@code probability}
 * stays 0 and nothing fails unless a fail-nth count is armed.
 *
 * <p>Guarded by the backend's monitor ({@code lock}); {@link #admit} and {@link #settle} are called with it held.
 */
final class KernelFaultInjection implements KernelFaults {
    /** The knob that must be {@code N}, under debugfs. */
    static final String IGNORE_GFP_WAIT = "failslab/ignore-gfp-wait";

    private record Pending(Errno errno, int point) {
    }

    private final Object lock;
    private final Ioctls sys;
    private final KernelCalls kernel;
    private final Set<SourceKind> kinds;
    private final FaultSchedule<Pending> schedule = new FaultSchedule<>();
    private final List<Shot> shots = new ArrayList<>();
    private final Map<Thread, FailNthFile> files = new LinkedHashMap<>();
    private boolean closed;

    /**
     * Checks that this kernel has fail-nth (opening the calling thread's file) and sets the knob.
     *
     * @param kinds the kinds of device the backend's source makes (for the check of {@link #failNth})
     * @throws BackendUnavailableException naming what is missing
     */
    KernelFaultInjection(Object lock, Ioctls sys, KernelCalls kernel, Path debugfs, Set<SourceKind> kinds) {
        this.lock = lock;
        this.sys = sys;
        this.kernel = kernel;
        this.kinds = Set.copyOf(kinds);
        FailNthFile first;
        try {
            first = sys.openFailNth();
        } catch (NativeCallException e) {
            throw new BackendUnavailableException("faults=kernel needs the kernel's fail-nth (/proc/thread-self/fail-nth,"
                    + " CONFIG_FAULT_INJECTION): opening it failed with " + KernelCalls.errnoName(e.errno()));
        }
        try {
            enableSleepingAllocations(debugfs);
        } catch (RuntimeException e) {
            first.close();
            throw e;
        }
        files.put(Thread.currentThread(), first);
    }

    /** Writes {@code N} to {@code failslab/ignore-gfp-wait} unless it reads so already. */
    private static void enableSleepingAllocations(Path debugfs) {
        Path knob = debugfs.resolve(IGNORE_GFP_WAIT);
        try {
            if (!Files.readString(knob).trim().equals("N")) {
                Files.writeString(knob, "N");
            }
        } catch (IOException e) {
            throw new BackendUnavailableException("faults=kernel needs failslab's knob " + knob + " (CONFIG_FAILSLAB,"
                    + " CONFIG_FAULT_INJECTION_DEBUG_FS, debugfs mounted) set to N, or no GFP_KERNEL allocation ever fails: "
                    + e);
        }
    }

    // ---------------------------------------------------------------- FaultInjection

    /**
     * @throws UnsupportedOperationException when the kernel cannot fail {@code op} with {@code errno} for any
     *                                       device this backend makes
     */
    @Override
    public void failNth(BackendOp op, int nth, Errno errno) {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(errno, "errno");
        checkNth(nth);
        synchronized (lock) {
            ensureOpen();
            boolean somewhere = FailNthTable.deviceCall(op)
                    ? kinds.stream().anyMatch(k -> FailNthTable.point(op, k, errno).isPresent())
                    : FailNthTable.point(op, null, errno).isPresent();
            if (!somewhere) {
                throw new UnsupportedOperationException("faults=kernel: the kernel cannot fail " + op + " with " + errno
                        + " (" + FailNthTable.whyNot(op, errno) + "); it can make " + makeable(op));
            }
            schedule.schedule(op, nth, new Pending(errno, 0));
        }
    }

    @Override
    public void failPoint(BackendOp op, int nth, int point) {
        Objects.requireNonNull(op, "op");
        checkNth(nth);
        if (point < 1) {
            throw new IllegalArgumentException("fault point must be 1 or more, not " + point);
        }
        synchronized (lock) {
            ensureOpen();
            schedule.schedule(op, nth, new Pending(null, point));
        }
    }

    @Override
    public void clearFaults() {
        synchronized (lock) {
            ensureOpen();
            schedule.clear();
        }
    }

    @Override
    public Map<BackendOp, Long> callCounts() {
        synchronized (lock) {
            ensureOpen();
            return schedule.counts();
        }
    }

    @Override
    public List<Shot> shots() {
        synchronized (lock) {
            return List.copyOf(shots);
        }
    }

    // ---------------------------------------------------------------- the backend's side

    /**
     * Counts one call of {@code op} on a device of {@code kind} (null: none, or not known) and arms the kernel for
     * it when a fault aims at it. A fault aimed at a call of a device this backend does not know is used up unarmed:
     * the call fails on its own before any ioctl.
     *
     * @throws UnsupportedOperationException when a fault aims at it with an errno this device's call cannot give;
     *                                       the fault is used up and nothing is called
     */
    void admit(BackendOp op, SourceKind kind) {
        if (closed) {
            return;
        }
        Pending hit = schedule.admit(op);
        long n = schedule.count(op);
        if (hit == null) {
            return;
        }
        if (kind == null && FailNthTable.deviceCall(op)) {
            // no device of this backend: the call fails before any ioctl, on its own; the fault is used up
            shots.add(new Shot(op, n, hit.point, hit.errno, null, false, false));
            return;
        }
        int point = hit.point;
        if (point == 0) {
            Optional<Integer> p = FailNthTable.point(op, kind, hit.errno);
            if (p.isEmpty()) {
                shots.add(new Shot(op, n, 0, hit.errno, null, false, false));
                throw new UnsupportedOperationException("faults=kernel: call " + n + " of " + op + " was to fail with "
                        + hit.errno + ", which the kernel cannot give for " + (kind == null ? "this call" : "a " + kind
                        + " device") + " (it can make " + FailNthTable.makeable(op, kind) + "); the call was not made");
            }
            point = p.get();
        }
        Errno expected = hit.errno;
        int armedPoint = point;
        kernel.arm(new KernelCalls.Armed(op, point, fileOfThisThread(), "fault point " + point + " of " + op + " call " + n,
                (ArmedIoctl r) -> shots.add(new Shot(op, n, armedPoint, expected, r.errno() == 0 ? null : Errno.ofNumber(r.errno()),
                        r.fired(), true))));
    }

    /** After the call: a fault armed for it that no ioctl took (the call failed before reaching the kernel) is noted and dropped. */
    void settle() {
        KernelCalls.Armed a = kernel.disarm();
        if (a != null) {
            long n = schedule.count(a.op());
            shots.add(new Shot(a.op(), n, a.point(), null, null, false, false));
        }
    }

    /** Closes every thread's fail-nth file; later calls are passed on uncounted. */
    void close() {
        closed = true;
        schedule.clear();
        files.values().forEach(FailNthFile::close);
        files.clear();
    }

    // ---------------------------------------------------------------- helpers

    private FailNthFile fileOfThisThread() {
        Thread t = Thread.currentThread();
        FailNthFile f = files.get(t);
        if (f == null) {
            try {
                f = sys.openFailNth();
            } catch (NativeCallException e) {
                throw new IllegalStateException("faults=kernel: opening /proc/thread-self/fail-nth for thread " + t.getName()
                        + " failed with " + KernelCalls.errnoName(e.errno()), e);
            }
            files.put(t, f);
        }
        return f;
    }

    private String makeable(BackendOp op) {
        if (!FailNthTable.deviceCall(op)) {
            return FailNthTable.makeable(op, null);
        }
        List<String> out = new ArrayList<>();
        for (SourceKind k : kinds) {
            out.add(FailNthTable.makeable(op, k) + " for a " + k + " device");
        }
        return String.join("; ", out);
    }

    private static void checkNth(int nth) {
        if (nth < 1) {
            throw new IllegalArgumentException("nth must be 1 or more (1 = the very next call), not " + nth);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("backend closed");
        }
    }
}
