package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.backend.linux.sys.ArmedIoctl;
import io.github.iommufd4j.backend.linux.sys.FailNthFile;
import io.github.iommufd4j.backend.linux.sys.Ioctls;
import io.github.iommufd4j.backend.linux.sys.NativeStruct;

import java.util.function.Consumer;

/**
 * One open {@code /dev/iommu} as the backend and its device sources call it: an ioctl on it or on a device fd,
 * its errno turned into an {@link IommufdException} that names the call and says what the errno usually means
 * (the per-command rules of {@code docs/reference/kernel-uapi.md}). The native calls themselves are {@link Ioctls}'.
 *
 * <p>A kernel-made fault ({@link KernelFaultInjection}) is {@linkplain #arm armed} for the next ioctl of one
 * operation: the first {@link #ioctl} of that operation is then made with fail-nth armed, and the fault is used up.
 * Calls a source makes on the way to an operation's own ioctl (the selftest parking IOAS) use {@link #callAside},
 * which never takes the fault.
 */
final class KernelCalls {
    final Ioctls sys;
    final int iommufd;
    private volatile boolean closed;
    /** A fault waiting for the next ioctl of its operation, or null. Guarded by the backend's monitor. */
    private Armed armed;
    /** What the last armed ioctl did. */
    private ArmedIoctl taken;

    /**
     * A fail-nth count for the next ioctl of {@code op}.
     *
     * @param label   how the fault reads in an error message ({@code fault point 3 of HWPT_ALLOC call 1})
     * @param outcome told what the armed ioctl did
     */
    record Armed(BackendOp op, int point, FailNthFile file, String label, Consumer<ArmedIoctl> outcome) {
    }

    KernelCalls(Ioctls sys, int iommufd) {
        this.sys = sys;
        this.iommufd = iommufd;
    }

    /** An ioctl on {@code /dev/iommu}. */
    void call(BackendOp op, String args, int request, NativeStruct s) {
        callOn(iommufd, op, args, request, s);
    }

    /** An ioctl on {@code fd} (a VFIO device). */
    void callOn(int fd, BackendOp op, String args, int request, NativeStruct s) {
        checkOpen();
        Armed a = armed;
        taken = null;
        int errno = ioctl(fd, op, request, s);
        if (errno != 0) {
            throw taken != null && taken.fired() ? kernelMade(op, args, errno, a) : failure(op, args, errno);
        }
    }

    /** An ioctl on {@code /dev/iommu} made for {@code op} but not its own (a source's setup): never armed. */
    void callAside(BackendOp op, String args, int request, NativeStruct s) {
        checkOpen();
        int errno = sys.ioctl(iommufd, request, s);
        if (errno != 0) {
            throw failure(op, args, errno);
        }
    }

    /**
     * The ioctl of {@code op}: with fail-nth armed when a fault waits for {@code op} (the fault is then used up),
     * else plain. Returns the errno, 0 on success.
     */
    int ioctl(int fd, BackendOp op, int request, NativeStruct s) {
        Armed a = armed;
        if (a == null || a.op() != op) {
            return sys.ioctl(fd, request, s);
        }
        armed = null;
        ArmedIoctl r = sys.ioctlFailingNth(fd, request, s, a.file(), a.point());
        taken = r;
        a.outcome().accept(r);
        return r.errno();
    }

    /** Arms {@code a} for the next ioctl of its operation. */
    void arm(Armed a) {
        armed = a;
    }

    /** Drops the armed fault and returns it when no ioctl took it (null when one did, or none was armed). */
    Armed disarm() {
        Armed a = armed;
        armed = null;
        return a;
    }

    /** {@code op(args)} failed with {@code errno}, made by the kernel at the fault point {@code a} armed. */
    private static IommufdException kernelMade(BackendOp op, String args, int errno, Armed a) {
        String hint = hint(op, Errno.ofNumber(errno));
        return new IommufdException(op, args, Errno.ofNumber(errno), errno, "kernel-made failure (fail-nth: " + a.label()
                + ")" + (hint == null ? "" : "; " + hint));
    }

    /** {@code op(args)} failed with {@code errno}. */
    static IommufdException failure(BackendOp op, String args, int errno) {
        return new IommufdException(op, args, Errno.ofNumber(errno), errno, hint(op, Errno.ofNumber(errno)));
    }

    /** What an errno usually means for a command (K-ALLOC-6, K-DES-2, K-ATT-2 in {@code docs/reference/kernel-uapi.md}). */
    static String hint(BackendOp op, Errno e) {
        return switch (e) {
            case ENOTTY -> "the kernel does not know this command (too old, or not built with it)";
            case EOPNOTSUPP -> op == BackendOp.HWPT_ALLOC ? "a flag the IOMMU cannot honour, e.g. DIRTY_TRACKING without"
                    + " IOMMU dirty tracking (K-ALLOC-6)" : "a flag or value the kernel does not support";
            case EBUSY -> op == BackendOp.DESTROY ? "the object is still in use (K-DES-2)" : null;
            case EINVAL -> op == BackendOp.ATTACH ? "the domain is incompatible with the device (K-ATT-2)" : null;
            default -> null;
        };
    }

    /** The errno's name, or {@code errno N} for one {@link Errno} does not list. */
    static String errnoName(int errno) {
        Errno e = Errno.ofNumber(errno);
        return e == Errno.UNKNOWN ? "errno " + errno : e.name();
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the linux backend is closed");
        }
    }

    void markClosed() {
        closed = true;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
