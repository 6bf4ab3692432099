package io.github.iommufd4j.backend.linux.sys;

/**
 * The seam between the backend and the operating system: every system call the Linux backend makes. The
 * real implementation is {@link JnaIoctls}; unit tests use a scripted fake that checks the bytes sent and
 * writes the kernel's answers back. Nothing above this interface touches a JNA {@code Pointer}.
 *
 * <p>Errors are returned as positive errno numbers, never thrown, so that every caller maps them to
 * {@link io.github.iommufd4j.api.Errno} in one place.
 */
public interface Ioctls {
    /** {@code O_RDWR}. */
    int O_RDWR = 2;
    /** {@code O_CLOEXEC} (Linux generic value). */
    int O_CLOEXEC = 0x80000;

    /** {@code open(path, flags)}: a file descriptor (&gt;= 0), or {@code -errno}. */
    int open(String path, int flags);

    /** {@code close(fd)}: 0, or the errno. */
    int close(int fd);

    /**
     * {@code ioctl(fd, request, arg)}: copies {@code arg} to native memory, calls, and copies the native bytes
     * back into {@code arg} (the kernel's outputs). Returns 0 on success, else the errno.
     */
    int ioctl(int fd, int request, NativeStruct arg);

    /** {@code size} bytes of zeroed native memory (at least 1). */
    NativeRegion allocate(long size);

    /**
     * {@code mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)}: zeroed anonymous memory,
     * freed with {@code munmap} on {@link NativeRegion#close()}.
     *
     * @throws NativeCallException with the errno when mmap fails
     */
    NativeRegion mmapAnonymous(long length);

    /** The host's page size in bytes. */
    long pageSize();

    /**
     * Opens {@code /proc/thread-self/fail-nth} for the calling thread (the kernel's fault injection,
     * {@code CONFIG_FAULT_INJECTION}; see {@code kernel-lab/README.md}, "Kernel-made failures: fail-nth").
     *
     * @throws NativeCallException with the errno when the file cannot be opened (ENOENT: a kernel without fault
     *                             injection)
     */
    default FailNthFile openFailNth() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot arm the kernel's fail-nth");
    }

    /**
     * {@code ioctl(fd, request, arg)} with the {@code nth} fault point of the calling thread armed: copies
     * {@code arg} to native memory, writes {@code nth} to {@code failNth}, makes the ioctl, reads what is left of
     * the count and writes 0, with nothing in between that could enter the kernel; then copies the native bytes
     * back into {@code arg} when the ioctl succeeded.
     *
     * @param failNth the calling thread's own file ({@link FailNthFile#owner()} must be the calling thread)
     * @param nth     1 or more
     * @throws IllegalArgumentException for {@code nth} below 1
     * @throws IllegalStateException    when called from another thread than the file's owner, or when the count
     *                                  could not be written (nothing was called) or cleared again
     */
    default ArmedIoctl ioctlFailingNth(int fd, int request, NativeStruct arg, FailNthFile failNth, int nth) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot arm the kernel's fail-nth");
    }
}
