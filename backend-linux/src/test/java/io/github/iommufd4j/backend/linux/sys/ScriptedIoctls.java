package io.github.iommufd4j.backend.linux.sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fake of the system calls for unit tests: each ioctl must match the next expected request, the bytes sent
 * are recorded, and the scripted answer writes the kernel's outputs back (into the struct and into fake native
 * memory found by address) and returns an errno. Memory is heap-backed with made-up addresses.
 */
public final class ScriptedIoctls implements Ioctls {

    /** The kernel's side of one ioctl: reads and writes the struct, returns the errno (0 for success). */
    @FunctionalInterface
    public interface Answer {
        int answer(NativeStruct arg, ScriptedIoctls memory);
    }

    /** One ioctl made with fail-nth armed: the count and the file it was armed through. */
    public record ArmedCall(int request, int nth, FailNthFile file) {
    }

    /** One ioctl as made: the bytes sent (before the answer). */
    public record Call(int fd, int request, byte[] sent) {
        /** The {@code u32} sent at {@code offset}. */
        public int intAt(int offset) {
            return ByteBuffer.wrap(sent).order(ByteOrder.nativeOrder()).getInt(offset);
        }

        /** The {@code u64} sent at {@code offset}. */
        public long longAt(int offset) {
            return ByteBuffer.wrap(sent).order(ByteOrder.nativeOrder()).getLong(offset);
        }
    }

    private record Expected(int request, Answer answer) {
    }

    private final Deque<Expected> script = new ArrayDeque<>();
    private final List<Call> calls = new ArrayList<>();
    private final Map<Long, FakeRegion> regions = new HashMap<>();
    private final Map<String, Integer> openResults = new HashMap<>();
    private final List<Integer> closed = new ArrayList<>();
    private final List<Long> allocations = new ArrayList<>();
    private final List<ArmedCall> armedCalls = new ArrayList<>();
    private final List<FakeFailNth> failNthFiles = new ArrayList<>();
    private int failNthOpenErrno;
    private int armedNth;
    private boolean fired;
    private long nextAddress = 0x7f00_0000_0000L;
    private int nextFd = 10;
    private long pageSize = 4096;

    /** Expects {@code request} next; {@code answer} plays the kernel. */
    public ScriptedIoctls expect(int request, Answer answer) {
        script.addLast(new Expected(request, answer));
        return this;
    }

    /** Expects {@code request} next and fails it with {@code errno}. */
    public ScriptedIoctls expectErrno(int request, int errno) {
        return expect(request, (s, m) -> errno);
    }

    /** {@code open(path)} answers {@code result} (an fd, or -errno); unknown paths get fresh fds. */
    public ScriptedIoctls onOpen(String path, int result) {
        openResults.put(path, result);
        return this;
    }

    /** {@link #openFailNth()} fails with {@code errno} (a kernel without fault injection: ENOENT). */
    public ScriptedIoctls failNthMissing(int errno) {
        this.failNthOpenErrno = errno;
        return this;
    }

    /** Inside an answer: the fail-nth count armed for this ioctl, 0 when it is not armed. */
    public int armedNth() {
        return armedNth;
    }

    /** Inside an answer: the armed failure was injected (fail-nth reads back 0). */
    public void fire() {
        if (armedNth == 0) {
            throw new AssertionError("fire() in an ioctl that is not armed");
        }
        fired = true;
    }

    /** The ioctls made with fail-nth armed, in order. */
    public List<ArmedCall> armedCalls() {
        return armedCalls;
    }

    /** The fail-nth files opened so far. */
    public List<FakeFailNth> failNthFiles() {
        return failNthFiles;
    }

    public ScriptedIoctls pageSize(long size) {
        this.pageSize = size;
        return this;
    }

    /** Calls made so far. */
    public List<Call> calls() {
        return calls;
    }

    /** fds closed so far, in order. */
    public List<Integer> closedFds() {
        return closed;
    }

    /** Sizes of every {@link #allocate} and {@link #mmapAnonymous} so far. */
    public List<Long> allocationSizes() {
        return allocations;
    }

    /** Whether every expected ioctl was made. */
    public boolean scriptDone() {
        return script.isEmpty();
    }

    /** Regions not yet freed. */
    public int liveRegions() {
        return (int) regions.values().stream().filter(r -> !r.freed).count();
    }

    /** The fake region at {@code address} (as put into a struct). */
    public FakeRegion region(long address) {
        FakeRegion r = regions.get(address);
        if (r == null || r.freed) {
            throw new AssertionError("no live native region at 0x" + Long.toHexString(address));
        }
        return r;
    }

    @Override
    public int open(String path, int flags) {
        Integer r = openResults.get(path);
        return r != null ? r : nextFd++;
    }

    @Override
    public int close(int fd) {
        closed.add(fd);
        return 0;
    }

    @Override
    public int ioctl(int fd, int request, NativeStruct arg) {
        calls.add(new Call(fd, request, arg.toBytes()));
        Expected e = script.pollFirst();
        if (e == null) {
            throw new AssertionError("unexpected ioctl 0x" + Integer.toHexString(request) + " with " + arg);
        }
        if (e.request != request) {
            throw new AssertionError("expected ioctl 0x" + Integer.toHexString(e.request) + " but got 0x"
                    + Integer.toHexString(request) + " with " + arg);
        }
        if (arg.getInt(0) != arg.size()) {
            throw new AssertionError("struct " + arg.name() + ": size field " + arg.getInt(0) + " but "
                    + arg.size() + " bytes sent");
        }
        return e.answer.answer(arg, this);
    }

    @Override
    public FailNthFile openFailNth() {
        if (failNthOpenErrno != 0) {
            throw new NativeCallException("open(/proc/thread-self/fail-nth)", failNthOpenErrno);
        }
        FakeFailNth f = new FakeFailNth(Thread.currentThread());
        failNthFiles.add(f);
        return f;
    }

    /** As the real layer: the owner must call; the scripted answer sees {@link #armedNth()} and may {@link #fire()}. */
    @Override
    public ArmedIoctl ioctlFailingNth(int fd, int request, NativeStruct arg, FailNthFile failNth, int nth) {
        if (nth < 1) {
            throw new IllegalArgumentException("fail-nth count " + nth);
        }
        if (failNth.owner() != Thread.currentThread() || ((FakeFailNth) failNth).closed) {
            throw new IllegalStateException("fail-nth file of " + failNth.owner() + " used by " + Thread.currentThread());
        }
        armedCalls.add(new ArmedCall(request, nth, failNth));
        armedNth = nth;
        fired = false;
        try {
            int errno = ioctl(fd, request, arg);
            return new ArmedIoctl(nth, errno, fired ? 0 : nth);
        } finally {
            armedNth = 0;
        }
    }

    /** A fail-nth file of the fake. */
    public static final class FakeFailNth implements FailNthFile {
        private final Thread owner;
        private boolean closed;

        FakeFailNth(Thread owner) {
            this.owner = owner;
        }

        @Override
        public Thread owner() {
            return owner;
        }

        public boolean closed() {
            return closed;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Override
    public NativeRegion allocate(long size) {
        allocations.add(size);
        FakeRegion r = new FakeRegion(nextAddress, Math.max(1, size));
        regions.put(nextAddress, r);
        nextAddress += 0x10_0000L + ((Math.max(1, size) + 0xfff) & ~0xfffL);
        return r;
    }

    @Override
    public NativeRegion mmapAnonymous(long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("mmap of " + length);
        }
        return allocate(length);
    }

    @Override
    public long pageSize() {
        return pageSize;
    }

    /** Heap-backed native memory. */
    public static final class FakeRegion implements NativeRegion {
        private final long address;
        private final ByteBuffer bytes;
        private boolean freed;

        FakeRegion(long address, long size) {
            this.address = address;
            this.bytes = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.nativeOrder());
        }

        @Override
        public long address() {
            return address;
        }

        @Override
        public long size() {
            return bytes.capacity();
        }

        @Override
        public long getLong(long offset) {
            NativeRegion.checkBounds(size(), offset, 8);
            return bytes.getLong((int) offset);
        }

        @Override
        public void putLong(long offset, long value) {
            NativeRegion.checkBounds(size(), offset, 8);
            bytes.putLong((int) offset, value);
        }

        /** Writes bytes, as the kernel would. */
        public void write(long offset, byte[] src) {
            NativeRegion.checkBounds(size(), offset, src.length);
            bytes.put((int) offset, src);
        }

        @Override
        public void read(long offset, byte[] dst) {
            NativeRegion.checkBounds(size(), offset, dst.length);
            bytes.get((int) offset, dst);
        }

        public boolean freed() {
            return freed;
        }

        @Override
        public void close() {
            freed = true;
        }
    }
}
