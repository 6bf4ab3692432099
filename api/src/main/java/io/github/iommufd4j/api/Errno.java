package io.github.iommufd4j.api;

import java.util.Optional;

/**
 * Linux errno values that the iommufd and VFIO cdev user API returns, with their names and x86-64/arm64
 * numbers. {@link #UNKNOWN} stands for a number this enum does not list; {@link IommufdException#errnoNumber()}
 * keeps the raw value.
 */
public enum Errno {
    /** Operation not permitted (1). */
    EPERM(1, "Operation not permitted"),
    /** No such file or directory (2). */
    ENOENT(2, "No such file or directory"),
    /** Interrupted system call (4). */
    EINTR(4, "Interrupted system call"),
    /** Input/output error (5). */
    EIO(5, "Input/output error"),
    /** No such device or address (6). */
    ENXIO(6, "No such device or address"),
    /** Argument list too long (7). */
    E2BIG(7, "Argument list too long"),
    /** Bad file descriptor (9). */
    EBADF(9, "Bad file descriptor"),
    /** Resource temporarily unavailable (11). */
    EAGAIN(11, "Resource temporarily unavailable"),
    /** Cannot allocate memory (12). */
    ENOMEM(12, "Cannot allocate memory"),
    /** Permission denied (13). */
    EACCES(13, "Permission denied"),
    /** Bad address (14). */
    EFAULT(14, "Bad address"),
    /** Device or resource busy (16). */
    EBUSY(16, "Device or resource busy"),
    /** File exists (17). */
    EEXIST(17, "File exists"),
    /** No such device (19). */
    ENODEV(19, "No such device"),
    /** Invalid argument (22). */
    EINVAL(22, "Invalid argument"),
    /** Too many open files in system (23). */
    ENFILE(23, "Too many open files in system"),
    /** Too many open files (24). */
    EMFILE(24, "Too many open files"),
    /** Inappropriate ioctl for device (25). */
    ENOTTY(25, "Inappropriate ioctl for device"),
    /** No space left on device (28). */
    ENOSPC(28, "No space left on device"),
    /** Numerical result out of range (34). */
    ERANGE(34, "Numerical result out of range"),
    /** Function not implemented (38). */
    ENOSYS(38, "Function not implemented"),
    /** Value too large for defined data type (75). */
    EOVERFLOW(75, "Value too large for defined data type"),
    /** File descriptor in bad state (77). */
    EBADFD(77, "File descriptor in bad state"),
    /** Operation not supported (95). */
    EOPNOTSUPP(95, "Operation not supported"),
    /** Address already in use (98). */
    EADDRINUSE(98, "Address already in use"),
    /** Connection timed out (110). */
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
     *
     * @return the description
     */
    public String description() {
        return description;
    }

    /**
     * The number.
     *
     * @return the Linux errno number ({@code -1} for {@link #UNKNOWN})
     */
    public int number() {
        return number;
    }

    /**
     * An errno by number.
     *
     * @param number a Linux errno number
     * @return the errno with this number, or {@link #UNKNOWN}
     */
    public static Errno ofNumber(int number) {
        Errno e = number > 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
        return e == null ? UNKNOWN : e;
    }

    /**
     * An errno by name.
     *
     * @param name a Linux errno name ({@code "EINVAL"})
     * @return the errno, if listed
     */
    public static Optional<Errno> ofName(String name) {
        for (Errno e : values()) {
            if (e != UNKNOWN && e.name().equals(name)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }
}
