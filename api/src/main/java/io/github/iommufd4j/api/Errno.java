package io.github.iommufd4j.api;

import java.util.Optional;

/**
 * Linux errno values that the iommufd and VFIO cdev user API returns, with their names and x86-64/arm64
 * numbers. {@link #UNKNOWN} stands for a number this enum does not list; {@link IommufdException#errnoNumber()}
 * keeps the raw value.
 */
public enum Errno {
    EPERM(1), ENOENT(2), EINTR(4), EIO(5), ENXIO(6), E2BIG(7), EBADF(9), EAGAIN(11), ENOMEM(12), EACCES(13),
    EFAULT(14), EBUSY(16), EEXIST(17), ENODEV(19), EINVAL(22), ENFILE(23), EMFILE(24), ENOTTY(25), ENOSPC(28),
    ERANGE(34), ENOSYS(38), EOVERFLOW(75), EBADFD(77), EOPNOTSUPP(95), EADDRINUSE(98), ETIMEDOUT(110),
    /** A number not listed here. */
    UNKNOWN(-1);

    private static final Errno[] BY_NUMBER = new Errno[128];

    static {
        for (Errno e : values()) {
            if (e.number > 0) {
                BY_NUMBER[e.number] = e;
            }
        }
    }

    private final int number;

    Errno(int number) {
        this.number = number;
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
