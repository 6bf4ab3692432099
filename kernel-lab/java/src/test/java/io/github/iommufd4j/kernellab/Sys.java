package io.github.iommufd4j.kernellab;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;

/**
 * libc through JNA direct mapping ({@code Native.register}): every call runs on the calling OS thread, throws
 * nothing and leaves errno in {@link Native#getLastError()}. The fail-nth proofs need that: between arming
 * {@code /proc/thread-self/fail-nth} and the ioctl the thread must make no other system call, so no proxy,
 * reflection or exception may run there (see {@link FailNth}).
 */
final class Sys {
  static final int O_RDONLY = 0;
  static final int O_WRONLY = 1;
  static final int O_RDWR = 2;
  static final int O_NONBLOCK = 0x800;
  static final int O_CLOEXEC = 0x80000;
  static final int SEEK_END = 2;

  static final int ENOENT = 2;
  static final int EINTR = 4;
  static final int EBADF = 9;
  static final int EAGAIN = 11;
  static final int ENOMEM = 12;
  static final int EFAULT = 14;
  static final int EBUSY = 16;
  static final int EEXIST = 17;
  static final int ENODEV = 19;
  static final int EINVAL = 22;
  static final int ENOSPC = 28;
  static final int EPIPE = 32;
  static final int ENOTTY = 25;
  static final int EOPNOTSUPP = 95;
  static final int EADDRINUSE = 98;

  static {
    Native.register("c");
  }

  private Sys() {}

  static native int open(String path, int flags);

  static native int close(int fd);

  static native long read(int fd, Pointer buf, long count);

  static native long write(int fd, Pointer buf, long count);

  static native long pread(int fd, Pointer buf, long count, long offset);

  static native long lseek(int fd, long offset, int whence);

  static native int ioctl(int fd, long request, Pointer arg);

  static native Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

  static native int munmap(Pointer addr, long length);

  static final int PROT_READ = 1;
  static final int PROT_WRITE = 2;
  static final int MAP_PRIVATE = 2;
  static final int MAP_ANONYMOUS = 0x20;

  /** Fresh, untouched anonymous memory, as backend-linux's ioasMap takes for guest memory. */
  static Pointer mmapAnonymous(long length) {
    Pointer p = mmap(Pointer.NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == null || Pointer.nativeValue(p) == -1L) {
      throw new IllegalStateException("mmap of " + length + " bytes failed: errno " + errno());
    }
    return p;
  }

  /** errno of the last call on this thread. */
  static int errno() {
    return Native.getLastError();
  }

  /** ioctl: 0 or the errno. */
  static int ioctlErrno(int fd, long request, Pointer arg) {
    return ioctl(fd, request, arg) == 0 ? 0 : errno();
  }

  /** open(2) that must work. */
  static int openOrThrow(String path, int flags) {
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0) {
      throw new IllegalStateException("open(" + path + ") failed: errno " + errno());
    }
    return fd;
  }

  /** Writes {@code text} to a sysfs/procfs/debugfs file in one write(2); returns 0 or the errno. */
  static int writeFile(String path, String text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      return errno();
    }
    try {
      byte[] b = text.getBytes(StandardCharsets.US_ASCII);
      Memory m = new Memory(Math.max(1, b.length));
      m.write(0, b, 0, b.length);
      long n = write(fd, m, b.length);
      return n == b.length ? 0 : n < 0 ? errno() : EINVAL;
    } finally {
      close(fd);
    }
  }
}
