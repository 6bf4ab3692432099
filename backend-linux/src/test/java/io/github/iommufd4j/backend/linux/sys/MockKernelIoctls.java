package io.github.iommufd4j.backend.linux.sys;

import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.backend.linux.uapi.GetDirtyBitmap;
import io.github.iommufd4j.backend.linux.uapi.HwInfo;
import io.github.iommufd4j.backend.linux.uapi.HwptAlloc;
import io.github.iommufd4j.backend.linux.uapi.IoasAlloc;
import io.github.iommufd4j.backend.linux.uapi.IoasMap;
import io.github.iommufd4j.backend.linux.uapi.IoasUnmap;
import io.github.iommufd4j.backend.linux.uapi.IommuDestroy;
import io.github.iommufd4j.backend.linux.uapi.IommuTestCmd;
import io.github.iommufd4j.backend.linux.uapi.SetDirtyTracking;
import io.github.iommufd4j.backend.mock.MockBackend;

import java.util.HashMap;
import java.util.Map;

/**
 * The system calls of a machine whose {@code /dev/iommu} is the kernel's selftest mock, played by backend-mock:
 * each iommufd ioctl is decoded from its struct (through the uapi offsets), answered by a {@link MockBackend}
 * (errno for errno as Linux 6.12), and its outputs written back into the struct and into native memory, as the
 * kernel would. {@code IOMMU_TEST_CMD}'s {@code MOCK_DOMAIN_FLAGS}, {@code MOCK_DOMAIN_REPLACE} and
 * {@code DIRTY} become a device made, bound and attached, an attach, and a DMA write of the pages the bitmap
 * names; destroying a stdev id unbinds its device. Nothing else exists: VFIO ioctls answer ENOTTY.
 *
 * <p>With it, backend-linux's selftest source runs in unit tests exactly as on a kernel with
 * {@code CONFIG_IOMMUFD_TEST}, and every native buffer it allocates is tracked ({@link #liveRegions()}).
 * Guest memory ({@code mmap}) has no bytes behind it: nothing reads it. Stdev ids are made up above
 * {@link #STDEV_BASE}, away from the ids the mock hands out. Not thread-safe.
 */
public final class MockKernelIoctls implements Ioctls {
    /** The fd {@code open("/dev/iommu")} returns. */
    public static final int IOMMUFD = 10;
    /** Stdev ids are {@code STDEV_BASE + n}. */
    public static final int STDEV_BASE = 1_000_000;

    private static final long PAGE_SIZE = 4096;

    private final MockBackend kernel = new MockBackend();
    private final Map<Long, NativeRegion> regions = new HashMap<>();
    /** stdev id to the mock's device id. */
    private final Map<Integer, Integer> stdevs = new HashMap<>();
    /** The mock's device id to the HWPT it is on. */
    private final Map<Integer, Integer> hwptOf = new HashMap<>();
    private long nextAddress = 0x7f00_0000_0000L;
    private int nextStdev = STDEV_BASE;
    private int openFds;

    /** Native regions allocated or mapped and not freed. */
    public int liveRegions() {
        return (int) regions.values().stream().filter(r -> r.address() != 0).count();
    }

    /** File descriptors opened and not closed. */
    public int openFds() {
        return openFds;
    }

    @Override
    public int open(String path, int flags) {
        if (!path.equals("/dev/iommu")) {
            return -Errno.ENOENT.number();
        }
        openFds++;
        return IOMMUFD;
    }

    @Override
    public int close(int fd) {
        if (fd != IOMMUFD) {
            return Errno.EBADF.number();
        }
        if (--openFds == 0) {
            kernel.close(); // the last fd of /dev/iommu: the kernel destroys everything of it
        }
        return 0;
    }

    @Override
    public NativeRegion allocate(long size) {
        long address = nextAddress;
        nextAddress += 0x10_0000L + ((Math.max(1, size) + 0xfff) & ~0xfffL);
        ScriptedIoctls.FakeRegion r = new ScriptedIoctls.FakeRegion(address, Math.max(1, size));
        return track(new Tracked(r));
    }

    @Override
    public NativeRegion mmapAnonymous(long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("mmap of " + length);
        }
        long address = nextAddress;
        nextAddress += 0x10_0000L + ((length + 0xfff) & ~0xfffL);
        return track(new GuestRange(address, length));
    }

    @Override
    public long pageSize() {
        return PAGE_SIZE;
    }

    @Override
    public int ioctl(int fd, int request, NativeStruct arg) {
        if (fd != IOMMUFD) {
            return Errno.ENOTTY.number();
        }
        try {
            answer(request, arg);
            return 0;
        } catch (IommufdException e) {
            return e.errnoNumber();
        } catch (Refused e) {
            return e.errno.number();
        } catch (IllegalArgumentException e) {
            return Errno.EINVAL.number();
        }
    }

    private void answer(int request, NativeStruct s) {
        if (request == IoasAlloc.REQUEST) {
            s.putInt(IoasAlloc.OFF_OUT_IOAS_ID, kernel.ioasAlloc());
        } else if (request == IoasMap.REQUEST) {
            kernel.ioasMap(s.getInt(IoasMap.OFF_IOAS_ID), s.getLong(IoasMap.OFF_IOVA), s.getLong(IoasMap.OFF_LENGTH));
        } else if (request == IoasUnmap.REQUEST) {
            kernel.ioasUnmap(s.getInt(IoasUnmap.OFF_IOAS_ID), s.getLong(IoasUnmap.OFF_IOVA), s.getLong(IoasUnmap.OFF_LENGTH));
        } else if (request == IommuDestroy.REQUEST) {
            destroy(s.getInt(IommuDestroy.OFF_ID));
        } else if (request == HwInfo.REQUEST) {
            hwInfo(s);
        } else if (request == HwptAlloc.REQUEST) {
            int id = kernel.hwptAlloc(s.getInt(HwptAlloc.OFF_DEV_ID), s.getInt(HwptAlloc.OFF_PT_ID),
                    FlagSet.ofBits(HwptAllocFlag.class, Integer.toUnsignedLong(s.getInt(HwptAlloc.OFF_FLAGS))));
            s.putInt(HwptAlloc.OFF_OUT_HWPT_ID, id);
        } else if (request == SetDirtyTracking.REQUEST) {
            kernel.setDirtyTracking(s.getInt(SetDirtyTracking.OFF_HWPT_ID),
                    (s.getInt(SetDirtyTracking.OFF_FLAGS) & SetDirtyTracking.FLAG_ENABLE) != 0);
        } else if (request == GetDirtyBitmap.REQUEST) {
            dirtyBitmap(s);
        } else if (request == IommuTestCmd.REQUEST) {
            testCmd(s);
        } else {
            throw new Refused(Errno.ENOTTY);
        }
    }

    private void destroy(int id) {
        Integer dev = stdevs.remove(id);
        if (dev == null) {
            kernel.destroy(id);
            return;
        }
        hwptOf.remove(dev);
        kernel.unbind(dev); // detaches, unbinds and deletes the device
    }

    private void hwInfo(NativeStruct s) {
        HostIommuDevice info = kernel.getHwInfo(s.getInt(HwInfo.OFF_DEV_ID));
        byte[] data = info.vendorData();
        int room = s.getInt(HwInfo.OFF_DATA_LEN);
        region(s.getLong(HwInfo.OFF_DATA_UPTR)).write(0, java.util.Arrays.copyOf(data, Math.min(room, data.length)));
        s.putInt(HwInfo.OFF_DATA_LEN, data.length);
        s.putInt(HwInfo.OFF_OUT_DATA_TYPE, info.hwInfoTypeCode());
        s.putLong(HwInfo.OFF_OUT_CAPABILITIES, info.capabilities().bits());
    }

    private void dirtyBitmap(NativeStruct s) {
        Tracked out = region(s.getLong(GetDirtyBitmap.OFF_DATA));
        DirtyBitmap bits = new DirtyBitmap(out.size() * 64 / 8);
        kernel.getDirtyBitmap(s.getInt(GetDirtyBitmap.OFF_HWPT_ID), s.getLong(GetDirtyBitmap.OFF_IOVA),
                s.getLong(GetDirtyBitmap.OFF_LENGTH), s.getLong(GetDirtyBitmap.OFF_PAGE_SIZE),
                (s.getInt(GetDirtyBitmap.OFF_FLAGS) & GetDirtyBitmap.FLAG_NO_CLEAR) != 0, bits);
        for (int i = 0; i < bits.wordCount(); i++) {
            out.putLong(8L * i, out.getLong(8L * i) | bits.word(i)); // the kernel only sets bits (K-GDB-6)
        }
    }

    private void testCmd(NativeStruct s) {
        int op = s.getInt(IommuTestCmd.OFF_OP);
        int id = s.getInt(IommuTestCmd.OFF_ID);
        if (op == IommuTestCmd.OP_MOCK_DOMAIN_FLAGS) {
            mockDomain(s, id, s.getInt(IommuTestCmd.MD_OFF_DEV_FLAGS));
        } else if (op == IommuTestCmd.OP_MOCK_DOMAIN_REPLACE) {
            Integer dev = stdevs.get(id);
            if (dev == null) {
                throw new Refused(Errno.ENOENT);
            }
            int hwpt = kernel.attach(dev, s.getInt(IommuTestCmd.REPLACE_OFF_PT_ID));
            hwptOf.put(dev, hwpt);
            s.putInt(IommuTestCmd.REPLACE_OFF_PT_ID, hwpt);
        } else if (op == IommuTestCmd.OP_DIRTY) {
            s.putLong(IommuTestCmd.DIRTY_OFF_OUT_NR_DIRTY, dirty(id, s.getLong(IommuTestCmd.DIRTY_OFF_IOVA),
                    s.getLong(IommuTestCmd.DIRTY_OFF_LENGTH), s.getLong(IommuTestCmd.DIRTY_OFF_PAGE_SIZE),
                    region(s.getLong(IommuTestCmd.DIRTY_OFF_UPTR))));
        } else {
            throw new Refused(Errno.EOPNOTSUPP);
        }
    }

    /** A mock device behind the one selftest IOMMU (NO_DIRTY: without dirty tracking), bound and attached to {@code ptId}. */
    private void mockDomain(NativeStruct s, int ptId, int devFlags) {
        boolean dirty = (devFlags & IommuTestCmd.MOCK_FLAGS_DEVICE_NO_DIRTY) == 0;
        IommuSpec iommu = new IommuSpec(dirty ? "mock-dirty" : "mock-nodirty", "selftest", dirty, true,
                1L << 24, (1L << 31) - 1, PAGE_SIZE / 2);
        int stdev = nextStdev++;
        String name = "stdev" + stdev;
        kernel.createDevice(DeviceSpec.plain(name, iommu));
        BoundDevice dev = kernel.bind(name);
        int hwpt;
        try {
            hwpt = kernel.attach(dev.devId(), ptId);
        } catch (IommufdException e) {
            kernel.unbind(dev.devId()); // a failed command leaves nothing behind (K-FAIL)
            throw e;
        }
        stdevs.put(stdev, dev.devId());
        hwptOf.put(dev.devId(), hwpt);
        s.putInt(IommuTestCmd.MD_OFF_OUT_STDEV_ID, stdev);
        s.putInt(IommuTestCmd.MD_OFF_OUT_HWPT_ID, hwpt);
        s.putInt(IommuTestCmd.MD_OFF_OUT_IDEV_ID, dev.devId());
    }

    /** DIRTY: the pages flagged in {@code uptr} are written through a device on {@code hwpt}; returns the IOPTEs marked. */
    private long dirty(int hwpt, long iova, long length, long pageSize, NativeRegion uptr) {
        Integer dev = hwptOf.entrySet().stream().filter(e -> e.getValue() == hwpt).map(Map.Entry::getKey)
                .findFirst().orElse(null);
        if (dev == null || pageSize == 0) {
            throw new Refused(Errno.EINVAL);
        }
        DirtyBitmap pages = DirtyBitmap.forRange(length, pageSize);
        for (int i = 0; i < pages.wordCount(); i++) {
            pages.orWord(i, uptr.getLong(8L * i));
        }
        long[] marked = {0};
        pages.forEachRun((first, count) -> marked[0] += kernel.dmaWrite(dev, iova + first * pageSize, count * pageSize));
        return marked[0];
    }

    private Tracked region(long address) {
        NativeRegion r = regions.get(address);
        if (!(r instanceof Tracked t) || t.address() == 0) {
            throw new Refused(Errno.EFAULT);
        }
        return t;
    }

    private NativeRegion track(NativeRegion r) {
        regions.put(r.address(), r);
        return r;
    }

    /** The kernel's answer to a command the mock backend does not have. */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final Errno errno;

        Refused(Errno errno) {
            super(errno.name(), null, false, false);
            this.errno = errno;
        }
    }

    /** Heap memory with a made-up address; the address reads 0 once freed. */
    private static final class Tracked implements NativeRegion {
        private final ScriptedIoctls.FakeRegion bytes;

        Tracked(ScriptedIoctls.FakeRegion bytes) {
            this.bytes = bytes;
        }

        @Override
        public long address() {
            return bytes.freed() ? 0 : bytes.address();
        }

        @Override
        public long size() {
            return bytes.size();
        }

        @Override
        public long getLong(long offset) {
            return bytes.getLong(offset);
        }

        @Override
        public void putLong(long offset, long value) {
            bytes.putLong(offset, value);
        }

        void write(long offset, byte[] src) {
            bytes.write(offset, src);
        }

        @Override
        public void read(long offset, byte[] dst) {
            bytes.read(offset, dst);
        }

        @Override
        public void close() {
            bytes.close();
        }
    }

    /** Guest memory: an address and a length, no bytes (nothing reads or writes guest memory). */
    private static final class GuestRange implements NativeRegion {
        private final long address;
        private final long size;
        private boolean freed;

        GuestRange(long address, long size) {
            this.address = address;
            this.size = size;
        }

        @Override
        public long address() {
            return freed ? 0 : address;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public long getLong(long offset) {
            throw new UnsupportedOperationException("guest memory is not read");
        }

        @Override
        public void putLong(long offset, long value) {
            throw new UnsupportedOperationException("guest memory is not written");
        }

        @Override
        public void read(long offset, byte[] dst) {
            throw new UnsupportedOperationException("guest memory is not read");
        }

        @Override
        public void close() {
            freed = true;
        }
    }
}
