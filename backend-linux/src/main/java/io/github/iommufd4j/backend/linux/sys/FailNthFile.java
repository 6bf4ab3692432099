package io.github.iommufd4j.backend.linux.sys;

/**
 * The calling thread's {@code /proc/thread-self/fail-nth}, opened by {@link Ioctls#openFailNth()}. The kernel
 * resolves {@code thread-self} when the file is opened, so the open file names the thread that opened it for
 * good: a count written to it fails the N-th fault point of <em>that</em> thread, whoever writes. Only
 * {@link #owner()} may therefore make calls armed through it ({@link Ioctls#ioctlFailingNth}).
 */
public interface FailNthFile extends AutoCloseable {

    /** The thread that opened the file: the only one whose fault points it counts. */
    Thread owner();

    /** Closes the file; nothing is armed after a call through {@link Ioctls#ioctlFailingNth} returns. */
    @Override
    void close();
}
