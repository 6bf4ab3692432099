package io.github.iommufd4j.api;

import java.util.Optional;

/**
 * Linux errno values that the iommufd and VFIO cdev user API returns, with their names and x86-64/arm64
 * numbers. {@link #UNKNOWN} stands for a number this enum does not list; {@link IommufdException#errnoNumber()}
 * keeps the raw value.
 */
public enum Errno {
    EPERM(1, "Operation not permitted"), ENOENT(2, "No such file or directory"), EINTR(4, "Interrupted system call"),
    EIO(5, "Input/output error"), ENXIO(6, "No such device or address"), E2BIG(7, "Argument list too long"),
    EBADF(9, "Bad file descriptor"), EAGAIN(11, "Resource temporarily unavailable"), ENOMEM(12, "Cannot allocate memory"),
    EACCES(13, "Permission denied"), EFAULT(14, "Bad address"), EBUSY(16, "Device or resource busy"),
    EEXIST(17, "File exists"), ENODEV(19, "No such device"), EINVAL(22, "Invalid argument"),
    ENFILE(23, "Too many open files in system"), EMFILE(24, "Too many open files"),
    ENOTTY(25, "Inappropriate ioctl for device"), ENOSPC(28, "No space left on device"),
    ERANGE(34, "Numerical result out of range"), ENOSYS(38, "Function not implemented"),
    EOVERFLOW(75, "Value too large for defined data type"), EBADFD(77, "File descriptor in bad state"),
    EOPNOTSUPP(95, "Operation not supported"), EADDRINUSE(98, "Address already in use"),
    ETIMEDOUT(110, "Connection timed out"),
    /** A number not listed here. */
    UNKNOWN(-1, "Unknown error");

    private static final Errno[] BY_NUMBER = new Errno[128];

    static {
        for (Errno e : values()) {
            if (e.number > 0) {
                BY_NUMBER[e.number] = e;
            }
        }
    }

    private final int number;
    private final String description;

    Errno(int number, String description) {
        this.number = number;
        this.description = description;
    }

    /**
     * What glibc's {@code strerror} prints for this errno ({@code "Input/output error"}), as QEMU's messages quote
     * it; {@code "Unknown error"} for {@link #UNKNOWN}.
     */
    public String description() {
        return description;
    }

    /** The Linux errno number ({@code -1} for {@link #UNKNOWN}). */
    public int number() {
        return number;
    }

    /** The errno with this number, or {@link #UNKNOWN}. */
    public static Errno ofNumber(int number) {
        Errno e = number > 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
        return e == null ? UNKNOWN : e;
    }

    /** The errno with this Linux name ({@code "EINVAL"}), if listed. */
    public static Optional<Errno> ofName(String name) {
        for (Errno e : values()) {
            if (e != UNKNOWN && e.name().equals(name)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }
}
