package io.github.iommufd4j.backend.linux.sys;

/** A system call outside the iommufd commands ({@code mmap}) failed with an errno. */
public final class NativeCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    /** {@code call} failed with {@code errno}. */
    public NativeCallException(String call, int errno) {
        super(call + " failed: errno " + errno);
        this.errno = errno;
    }

    /** The errno. */
    public int errno() {
        return errno;
    }
}
