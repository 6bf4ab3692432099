package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.backend.linux.sys.Ioctls;
import io.github.iommufd4j.backend.linux.sys.NativeStruct;

import java.util.List;

/**
 * One open {@code /dev/iommu} as the backend and its device sources call it: an ioctl on it or on a device fd,
 * its errno turned into an {@link IommufdException} that names the call and says what the errno usually means
 * (the per-command rules of {@code docs/reference/kernel-uapi.md}). The native calls themselves are {@link Ioctls}'.
 */
final class KernelCalls {
    final Ioctls sys;
    final int iommufd;
    private volatile boolean closed;

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
        int errno = sys.ioctl(fd, request, s);
        if (errno != 0) {
            throw failure(op, args, errno);
        }
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

    /** How {@code DMA_LOGGING_START}'s arguments read in this backend's messages. */
    static String dmaLoggingStartArgs(int devId, List<IovaRange> ranges, long pageSize) {
        return "dev " + devId + ", " + ranges + ", page " + pageSize;
    }

    /** How {@code DMA_LOGGING_REPORT}'s arguments read in this backend's messages. */
    static String dmaLoggingReportArgs(int devId, long iova, long length, long pageSize) {
        return "dev " + devId + ", iova " + hex(iova) + ", length " + hex(length) + ", page " + pageSize;
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
