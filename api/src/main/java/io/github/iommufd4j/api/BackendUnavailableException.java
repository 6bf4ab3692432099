package io.github.iommufd4j.api;

/** A backend cannot be opened on this machine; the message says why and what to do. */
public class BackendUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * An unavailable backend.
     *
     * @param message why, and what to do
     */
    public BackendUnavailableException(String message) {
        super(message);
    }

    /**
     * An unavailable backend, because of {@code cause}.
     *
     * @param message why, and what to do
     * @param cause   what failed
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
