package io.github.iommufd4j.core;

import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdException;

/**
 * A VMM-level operation (attach, start, stop, sync) failed. {@link #qemuMessage()} is QEMU's text for the
 * failure ({@code Failed to allocate hwpt}, ...); {@link #errno()} the errno of the backend call that made
 * it fail, or null when none did (a migration refusal). The cause is the backend's exception, if any.
 */
public class VfioException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String qemuMessage;
    private final transient Errno errno;

    public VfioException(String qemuMessage, Errno errno, Throwable cause) {
        super(cause == null ? qemuMessage : qemuMessage + ": " + cause.getMessage(), cause);
        this.qemuMessage = qemuMessage;
        this.errno = errno;
    }

    /** A failure caused by a backend call. */
    public static VfioException of(String qemuMessage, IommufdException cause) {
        return new VfioException(qemuMessage, cause.errno(), cause);
    }

    /** QEMU's message for the failure. */
    public String qemuMessage() {
        return qemuMessage;
    }

    /** The errno of the backend call that made the operation fail, or null. */
    public Errno errno() {
        return errno;
    }
}
