package io.github.iommufd4j.api;

import java.util.Objects;

/**
 * A backend call failed with an errno. The message names the call with its arguments and the errno, e.g.
 * {@code HWPT_ALLOC(dev 3, ioas 1, [DIRTY_TRACKING]) failed: EOPNOTSUPP}, followed by a hint when one is given.
 */
public class IommufdException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @serial the operation */
    private final BackendOp op;
    /** @serial its arguments as formatted */
    private final String arguments;
    /** @serial the errno */
    private final Errno errno;
    /** @serial the raw errno number */
    private final int errnoNumber;

    /**
     * A failure of a call.
     *
     * @param op        the operation
     * @param arguments its arguments, already formatted ({@code "dev 3, ioas 1"})
     * @param errno     the errno
     */
    public IommufdException(BackendOp op, String arguments, Errno errno) {
        this(op, arguments, errno, errno.number(), null);
    }

    /**
     * A failure with a raw errno number (kept when {@link Errno} does not list it) and an optional hint
     * saying what it means or what to do.
     *
     * @param op          the operation
     * @param arguments   its arguments, already formatted
     * @param errno       the errno ({@link Errno#UNKNOWN} when not listed)
     * @param errnoNumber the raw number
     * @param hint        what it means or what to do, or null
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

    /**
     * The operation that failed.
     *
     * @return the operation
     */
    public BackendOp op() {
        return op;
    }

    /**
     * Its arguments.
     *
     * @return the arguments as formatted in the message
     */
    public String arguments() {
        return arguments;
    }

    /**
     * The errno.
     *
     * @return the errno, {@link Errno#UNKNOWN} when not listed
     */
    public Errno errno() {
        return errno;
    }

    /**
     * The raw errno number.
     *
     * @return the number
     */
    public int errnoNumber() {
        return errnoNumber;
    }
}
