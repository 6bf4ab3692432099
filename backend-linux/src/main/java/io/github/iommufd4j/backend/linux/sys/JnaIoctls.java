package io.github.iommufd4j.backend.linux.sys;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The one class that calls native code: {@code open}, {@code close}, {@code ioctl}, {@code mmap} and
 * {@code munmap} of the C library through JNA direct mapping. Each call is sound for these reasons:
 * <ul>
 *   <li>{@code ioctl} gets a {@link Memory} block exactly {@link NativeStruct#size()} bytes long, and the
 *       struct's first {@code u32} (the kernel's {@code size}/{@code argsz}) is that size, so the kernel never
 *       reads or writes past it; pointers inside the struct point at {@link NativeRegion}s whose size the
 *       caller derived from the same request (the callers check this before the call).</li>
 *   <li>Regions are read and written only through bounds-checked methods; a closed region is never touched
 *       again (its address is zeroed).</li>
 *   <li>The request is passed as a C {@code unsigned long}; glibc's variadic {@code ioctl} takes integer and
 *       pointer arguments in the same registers as a fixed-argument call on every 64-bit ABI JNA supports.</li>
 * </ul>
 * errno comes from {@link LastErrorException} for {@code open}, {@code close} and {@code mmap}, and from
 * {@link Native#getLastError()} for {@code ioctl} (JNA saves the thread's errno right after every native call);
 * the ioctl path throws nothing, since EINVAL is the normal answer of a HWPT probe.
 *
 * <p>An ioctl with the kernel's fail-nth armed ({@link #ioctlFailingNth}) is four direct-mapped calls on the
 * calling thread: {@code write(N)}, {@code ioctl}, {@code pread} of what is left, {@code write("0")}. Every fault
 * point the thread passes in any system call or page fault counts the N down, so the struct, the digits and the
 * read-back buffer are native memory written (and so faulted in) before the first write, and nothing between the
 * four calls allocates, loads a class or throws; the errno of the ioctl is taken before the {@code pread}.
 */
public final class JnaIoctls implements Ioctls {

    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;

    private static final JnaIoctls INSTANCE = new JnaIoctls();

    /** The C library functions, bound once with direct mapping. */
    private static final class LibC {
        static {
            Native.register(Platform.C_LIBRARY_NAME);
        }

        static native int open(String path, int flags) throws LastErrorException;

        static native int close(int fd) throws LastErrorException;

        /** Without {@code throws LastErrorException}: a failing probe must not build an exception (about 20 us). */
        static native int ioctl(int fd, long request, Pointer arg);

        static native Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset)
                throws LastErrorException;

        static native int munmap(Pointer addr, long length) throws LastErrorException;

        static native long sysconf(int name);

        /** For the fail-nth file only; without {@code throws}: nothing may be built inside the armed window. */
        static native long write(int fd, Pointer buf, long count);

        /** For the fail-nth file only; without {@code throws}, as {@link #write}. */
        static native long pread(int fd, Pointer buf, long count, long offset);
    }

    /** {@code /proc/thread-self/fail-nth} (CONFIG_FAULT_INJECTION). */
    static final String FAIL_NTH = "/proc/thread-self/fail-nth";

    private JnaIoctls() {
    }

    /**
     * The shared instance; loading the C library happens on first use.
     *
     * @throws UnsatisfiedLinkError (or another {@link LinkageError}) when JNA cannot load its native part
     */
    public static JnaIoctls get() {
        return INSTANCE;
    }

    @Override
    public int open(String path, int flags) {
        try {
            return LibC.open(path, flags);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    @Override
    public int close(int fd) {
        try {
            LibC.close(fd);
            return 0;
        } catch (LastErrorException e) {
            return e.getErrorCode();
        }
    }

    @Override
    public int ioctl(int fd, int request, NativeStruct arg) {
        byte[] bytes = arg.toBytes();
        try (Memory mem = new Memory(bytes.length)) {
            mem.write(0, bytes, 0, bytes.length);
            if (LibC.ioctl(fd, Integer.toUnsignedLong(request), mem) == -1) {
                return Native.getLastError(); // JNA saves errno right after every call (jna.preserve_last_error)
            }
            mem.read(0, bytes, 0, bytes.length);
            arg.setBytes(bytes);
            return 0;
        }
    }

    @Override
    public FailNthFile openFailNth() {
        int fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            throw new NativeCallException("open(" + FAIL_NTH + ")", -fd);
        }
        JnaFailNth f = new JnaFailNth(fd, Thread.currentThread());
        // Clears any count and checks the read-back path (direct mapping links every call at registration).
        try {
            f.disarmOrThrow();
            if (LibC.pread(fd, f.readBack, JnaFailNth.READ_BACK - 1, 0) <= 0) {
                throw new NativeCallException("pread(" + FAIL_NTH + ")", Native.getLastError());
            }
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
        return f;
    }

    @Override
    public ArmedIoctl ioctlFailingNth(int fd, int request, NativeStruct arg, FailNthFile failNth, int nth) {
        if (nth < 1) {
            throw new IllegalArgumentException("fail-nth count " + nth + ": must be 1 or more");
        }
        if (!(failNth instanceof JnaFailNth f) || f.owner != Thread.currentThread()) {
            throw new IllegalStateException("fail-nth file " + failNth + " was not opened by the calling thread "
                    + Thread.currentThread() + ": it would arm another thread's fault points");
        }
        byte[] digits = Integer.toString(nth).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] bytes = arg.toBytes();
        try (Memory mem = new Memory(bytes.length)) {
            mem.write(0, bytes, 0, bytes.length);
            f.arm.write(0, digits, 0, digits.length);
            int errno;
            long left;
            long disarmed;
            // ---- armed window: these four native calls and nothing else ----
            if (LibC.write(f.fd, f.arm, digits.length) != digits.length) {
                int e = Native.getLastError();
                f.disarmOrThrow();
                throw new IllegalStateException("writing " + nth + " to " + FAIL_NTH + " failed with errno " + e
                        + "; the ioctl was not made");
            }
            errno = LibC.ioctl(fd, Integer.toUnsignedLong(request), mem) == -1 ? Native.getLastError() : 0;
            left = LibC.pread(f.fd, f.readBack, JnaFailNth.READ_BACK - 1, 0);
            disarmed = LibC.write(f.fd, f.zero, 1);
            // ---- disarmed ----
            if (left <= 0 || disarmed != 1) {
                throw new IllegalStateException("after ioctl 0x" + Integer.toHexString(request) + " (errno " + errno
                        + ") the fail-nth count could not be " + (left <= 0 ? "read back" : "cleared")
                        + ": later allocations of this thread may fail");
            }
            int remaining = Integer.parseInt(f.readBack.getString(0, "US-ASCII").substring(0, (int) left).trim());
            if (errno == 0) {
                mem.read(0, bytes, 0, bytes.length);
                arg.setBytes(bytes);
            }
            return new ArmedIoctl(nth, errno, remaining);
        }
    }

    /** The fail-nth file of one thread, with the native buffers its armed window uses. */
    private static final class JnaFailNth implements FailNthFile {
        static final int READ_BACK = 32;
        final int fd;
        final Thread owner;
        final Memory arm = new Memory(16);
        final Memory zero = new Memory(1);
        final Memory readBack = new Memory(READ_BACK);
        private boolean closed;

        JnaFailNth(int fd, Thread owner) {
            this.fd = fd;
            this.owner = owner;
            arm.clear();
            readBack.clear();
            zero.setByte(0, (byte) '0');
        }

        void disarmOrThrow() {
            if (LibC.write(fd, zero, 1) != 1) {
                throw new IllegalStateException("cannot write 0 to " + FAIL_NTH + ": errno " + Native.getLastError());
            }
        }

        @Override
        public Thread owner() {
            return owner;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                try {
                    LibC.close(fd);
                } catch (LastErrorException e) {
                    // nothing armed: the count is cleared after every call
                }
                arm.close();
                zero.close();
                readBack.close();
            }
        }

        @Override
        public String toString() {
            return FAIL_NTH + " of " + owner.getName();
        }
    }

    @Override
    public NativeRegion allocate(long size) {
        Memory mem = new Memory(Math.max(1, size));
        mem.clear();
        return new MemoryRegion(mem, size);
    }

    @Override
    public NativeRegion mmapAnonymous(long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("mmap of " + Long.toUnsignedString(length) + " bytes");
        }
        try {
            Pointer p = LibC.mmap(null, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            return new MappedRegion(p, length);
        } catch (LastErrorException e) {
            throw new NativeCallException("mmap(" + length + " bytes, anonymous)", e.getErrorCode());
        }
    }

    @Override
    public long pageSize() {
        long size = LibC.sysconf(30); // _SC_PAGESIZE on Linux
        return size > 0 ? size : 4096;
    }

    /** Shared bounds-checked access to a native block. */
    private abstract static class Region implements NativeRegion {
        private Pointer pointer;
        private final long size;

        Region(Pointer pointer, long size) {
            this.pointer = pointer;
            this.size = size;
        }

        synchronized Pointer live(long offset, long width) {
            if (pointer == null) {
                throw new IllegalStateException("native region already freed");
            }
            NativeRegion.checkBounds(size, offset, width);
            return pointer;
        }

        @Override
        public synchronized long address() {
            return pointer == null ? 0 : Pointer.nativeValue(pointer);
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public long getLong(long offset) {
            return live(offset, 8).getLong(offset);
        }

        @Override
        public void putLong(long offset, long value) {
            live(offset, 8).setLong(offset, value);
        }

        @Override
        public void read(long offset, byte[] dst) {
            live(offset, dst.length).read(offset, dst, 0, dst.length);
        }

        @Override
        public synchronized void close() {
            if (pointer != null) {
                free(pointer, size);
                pointer = null;
            }
        }

        abstract void free(Pointer p, long size);
    }

    private static final class MemoryRegion extends Region {
        private final Memory memory;

        MemoryRegion(Memory memory, long size) {
            super(memory, size);
            this.memory = memory;
        }

        @Override
        void free(Pointer p, long size) {
            memory.close();
        }
    }

    private static final class MappedRegion extends Region {
        MappedRegion(Pointer p, long size) {
            super(p, size);
        }

        @Override
        void free(Pointer p, long size) {
            try {
                LibC.munmap(p, size);
            } catch (LastErrorException e) {
                throw new NativeCallException("munmap(" + size + " bytes)", e.getErrorCode());
            }
        }
    }
}
