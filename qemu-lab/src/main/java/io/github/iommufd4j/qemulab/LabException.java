package io.github.iommufd4j.qemulab;

/** The lab could not do what it was asked (QEMU did not start, a QMP command timed out, ...). */
public class LabException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LabException(String message) {
        super(message);
    }

    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
