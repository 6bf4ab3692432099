package io.github.iommufd4j.tck;

/**
 * The TCK run as a whole failed, whatever the rules did: the backend choice was missing, ambiguous or unknown,
 * the backend cannot run here or rejects its options, or a required rule was skipped. Reported against the
 * verification class (Surefire counts it as one failure of the class), without a stack trace: the message says
 * what was asked, what went wrong and what to set.
 */
public final class TckRunFailure extends AssertionError {
    private static final long serialVersionUID = 1L;

    TckRunFailure(String message) {
        super(message);
    }

    /** No stack trace: the message is the whole story. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
