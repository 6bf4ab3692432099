package io.github.iommufd4j.api;

import java.util.Objects;

/**
 * A backend call failed with an errno. The message names the call with its arguments and the errno, e.g.
 * {@code HWPT_ALLOC(dev 3, ioas 1, [DIRTY_TRACKING]) failed: EOPNOTSUPP}, followed by a hint when one is given.
 */
public class IommufdException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final BackendOp op;
    private final String arguments;
    private final Errno errno;
    private final int errnoNumber;

    /** A failure of {@code op} called with {@code arguments} (already formatted, e.g. {@code "dev 3, ioas 1"}). */
    public IommufdException(BackendOp op, String arguments, Errno errno) {
        this(op, arguments, errno, errno.number(), null);
    }

    /**
     * A failure with a raw errno number (kept when {@link Errno} does not list it) and an optional hint
     * saying what it means or what to do.
     */
    public IommufdException(BackendOp op, String arguments, Errno errno, int errnoNumber, String hint) {
        super(format(op, arguments, errno, errnoNumber, hint));
        this.op = Objects.requireNonNull(op, "op");
        this.arguments = arguments == null ? "" : arguments;
        this.errno = Objects.requireNonNull(errno, "errno");
        this.errnoNumber = errnoNumber;
    }

    private static String format(BackendOp op, String arguments, Errno errno, int number, String hint) {
        String name = errno == Errno.UNKNOWN ? "errno " + number : errno.name();
        String s = op + "(" + (arguments == null ? "" : arguments) + ") failed: " + name;
        return hint == null || hint.isEmpty() ? s : s + " - " + hint;
    }

    /** The operation that failed. */
    public BackendOp op() {
        return op;
    }

    /** Its arguments as formatted in the message. */
    public String arguments() {
        return arguments;
    }

    /** The errno. */
    public Errno errno() {
        return errno;
    }

    /** The raw errno number. */
    public int errnoNumber() {
        return errnoNumber;
    }
}
