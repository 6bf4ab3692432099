package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceFeatures;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FaultInjection;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwCap;
import io.github.iommufd4j.api.HwInfoType;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.api.ObjectInventory;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * An in-memory iommufd that answers like Linux 6.12, errno for errno and in the kernel's order of checks
 * ({@code kernel-uapi.md} section 3, rule ids {@code K-...}). It is its own {@link DeviceProvisioning},
 * {@link DmaSimulation}, {@link FaultInjection} and {@link ObjectInventory}.
 *
 * <p>Every kernel-call method is one {@link BackendOp}; it first rejects arguments no kernel call could
 * express (nulls, a bitmap too small), then counts the call and fires a pending injected fault (which changes
 * nothing), then checks like the kernel. A call that fails leaves no object behind and the state unchanged,
 * except {@link #ioasUnmap} which, like the kernel, keeps the areas it removed before meeting one it would cut.
 *
 * <p>Thread-safe: every public method holds the backend's monitor. Choices where the kernel has no answer for
 * a typed call are listed in the module README.
 */
public final class MockBackend implements IommufdBackend, DeviceProvisioning, DmaSimulation, FaultInjection,
        ObjectInventory {

    /** The host page size the mock assumes (the kernel's {@code PAGE_SIZE} on x86-64). */
    public static final long HOST_PAGE_SIZE = 4096;
    /** {@code test_reg} in the selftest driver data of GET_HW_INFO. */
    public static final int SELFTEST_TEST_REG = 0xdeadbeef;

    private static final long U64_MAX = -1L;
    /** Flag bits Linux 6.12 accepts for a paging HWPT ({@code valid_flags} in iommufd_hwpt_paging_alloc). */
    private static final long KNOWN_PAGING_FLAGS = HwptAllocFlag.NEST_PARENT.bit() | HwptAllocFlag.DIRTY_TRACKING.bit()
            | HwptAllocFlag.FAULT_ID_VALID.bit();

    // ---------------------------------------------------------------- objects

    private abstract static sealed class Obj permits Ioas, Hwpt, Device {
        final int id;

        Obj(int id) {
            this.id = id;
        }

        abstract BackendObject.Type type();
    }

    /** An IOAS: its areas ({@code iova -> last}, unsigned order), the HWPTs on it, the mdevs using it. */
    private static final class Ioas extends Obj {
        final TreeMap<Long, Long> areas = new TreeMap<>(Long::compareUnsigned);
        final List<Hwpt> hwpts = new ArrayList<>();
        final Set<Device> accesses = new LinkedHashSet<>();

        Ioas(int id) {
            super(id);
        }

        @Override
        BackendObject.Type type() {
            return BackendObject.Type.IOAS;
        }
    }

    /** A paging HWPT (an iommu_domain) over an IOAS: it maps every area of the IOAS. */
    private static final class Hwpt extends Obj {
        final Ioas ioas;
        final IommuSpec iommu;
        final boolean dirtyTracking;
        final boolean nestParent;
        final boolean auto;
        final Set<Device> devices = new LinkedHashSet<>();
        final IovaIntervals dirty = new IovaIntervals();
        boolean trackingEnabled;

        Hwpt(int id, Ioas ioas, IommuSpec iommu, boolean dirtyTracking, boolean nestParent, boolean auto) {
            super(id);
            this.ioas = ioas;
            this.iommu = iommu;
            this.dirtyTracking = dirtyTracking;
            this.nestParent = nestParent;
            this.auto = auto;
        }

        @Override
        BackendObject.Type type() {
            return BackendObject.Type.HWPT;
        }
    }

    /** A device's DMA log (VF dirty tracking) while it runs. */
    private record DmaLog(List<IovaRange> ranges, long pageSize, IovaIntervals dirty) {
    }

    /** A bound device; for an mdev, the kernel's iommufd access object. */
    private static final class Device extends Obj {
        final DeviceSpec spec;
        Hwpt hwpt;
        Ioas accessIoas;
        DmaLog log;

        Device(int id, DeviceSpec spec) {
            super(id);
            this.spec = spec;
        }

        String name() {
            return spec.name();
        }

        @Override
        BackendObject.Type type() {
            return BackendObject.Type.DEVICE;
        }
    }

    // ---------------------------------------------------------------- state

    private final TreeMap<Integer, Obj> objects = new TreeMap<>();
    /** The ids in {@link #objects}, for the lowest free id in one word scan (K-ID-1). */
    private final BitSet usedIds = new BitSet();
    private final Map<String, DeviceSpec> created = new LinkedHashMap<>();
    private final Map<String, IommuSpec> iommus = new HashMap<>();
    private final Map<String, Device> boundByName = new HashMap<>();
    private final FaultPlan faults = new FaultPlan();
    private boolean closed;

    /** An empty backend, as {@link MockBackendProvider#open} makes. */
    public MockBackend() {
    }

    // ---------------------------------------------------------------- IommufdBackend

    @Override
    public String providerName() {
        return MockBackendProvider.NAME;
    }

    @Override
    public synchronized int ioasAlloc() {
        begin(BackendOp.IOAS_ALLOC, "");
        Ioas ioas = new Ioas(lowestFreeId());
        register(ioas);
        return ioas.id;
    }

    @Override
    public synchronized void ioasMap(int ioasId, long iova, long length) {
        BackendOp op = BackendOp.IOAS_MAP;
        String args = "ioas " + ioasId + ", iova " + hex(iova) + ", length " + hex(length);
        begin(op, args);
        if (iova == U64_MAX || length == U64_MAX) {
            throw fail(op, args, Errno.EOVERFLOW, "iova and length must be below 2^64 - 1");
        }
        Ioas ioas = ioasOrNull(ioasId);
        if (ioas == null) {
            throw fail(op, args, Errno.ENOENT, describeMissing(ioasId, "an IOAS"));
        }
        if (length == 0 || Long.compareUnsigned(length, U64_MAX - HOST_PAGE_SIZE) > 0) {
            throw fail(op, args, Errno.EINVAL, length == 0 ? "length is 0" : "length is too large to pin");
        }
        long alignment = alignment(ioas);
        if ((length & (alignment - 1)) != 0) {
            throw fail(op, args, Errno.EINVAL, "length is not a multiple of the IOAS alignment " + hex(alignment));
        }
        if ((iova & (alignment - 1)) != 0) {
            throw fail(op, args, Errno.EINVAL, "iova is not aligned to the IOAS alignment " + hex(alignment));
        }
        long last = iova + length - 1;
        if (Long.compareUnsigned(last, iova) < 0) {
            throw fail(op, args, Errno.EOVERFLOW, "iova + length - 1 overflows 64 bits");
        }
        for (Hwpt h : ioas.hwpts) {
            if (!insideAperture(h.iommu, iova, last)) {
                throw fail(op, args, Errno.EINVAL, "the range is reserved: outside the aperture " + aperture(h.iommu)
                        + " of HWPT " + h.id + " (IOMMU " + h.iommu.id() + ")");
            }
        }
        long[] clash = firstAreaMeeting(ioas, iova, last);
        if (clash != null) {
            throw fail(op, args, Errno.EEXIST, "overlaps the mapped area " + range(clash[0], clash[1]));
        }
        ioas.areas.put(iova, last);
    }

    @Override
    public synchronized void ioasUnmap(int ioasId, long iova, long length) {
        BackendOp op = BackendOp.IOAS_UNMAP;
        String args = "ioas " + ioasId + ", iova " + hex(iova) + ", length " + hex(length);
        begin(op, args);
        Ioas ioas = ioasOrNull(ioasId);
        if (ioas == null) {
            throw fail(op, args, Errno.ENOENT, describeMissing(ioasId, "an IOAS"));
        }
        if (iova == 0 && length == U64_MAX) {
            for (Map.Entry<Long, Long> area : new ArrayList<>(ioas.areas.entrySet())) {
                removeArea(ioas, area.getKey(), area.getValue());
            }
            return;
        }
        if (iova == U64_MAX || length == U64_MAX) {
            throw fail(op, args, Errno.EOVERFLOW, "iova and length must be below 2^64 - 1 (except iova 0, length 2^64 - 1: unmap all)");
        }
        if (length == 0) {
            throw fail(op, args, Errno.EINVAL, "length is 0");
        }
        long last = iova + length - 1;
        if (Long.compareUnsigned(last, iova) < 0) {
            throw fail(op, args, Errno.EOVERFLOW, "iova + length - 1 overflows 64 bits");
        }
        // Like iopt_unmap_iova_range: areas are removed lowest first; one that sticks out stops the walk
        // with ENOENT, and the areas removed before it stay removed.
        boolean unmappedAny = false;
        long[] area;
        while ((area = firstAreaMeeting(ioas, iova, last)) != null) {
            if (Long.compareUnsigned(area[0], iova) < 0 || Long.compareUnsigned(area[1], last) > 0) {
                throw fail(op, args, Errno.ENOENT, "the range cuts into the mapped area " + range(area[0], area[1])
                        + (unmappedAny ? " (areas before it were unmapped, as the kernel does)" : ""));
            }
            removeArea(ioas, area[0], area[1]);
            unmappedAny = true;
        }
        if (!unmappedAny) {
            throw fail(op, args, Errno.ENOENT, "nothing is mapped in " + range(iova, last));
        }
    }

    @Override
    public synchronized void destroy(int id) {
        BackendOp op = BackendOp.DESTROY;
        String args = "id " + id;
        begin(op, args);
        Obj obj = objects.get(id);
        if (obj == null) {
            throw fail(op, args, Errno.ENOENT, id == 0 ? "id 0 is never valid" : "no object has id " + id);
        }
        if (obj instanceof Ioas ioas) {
            if (!ioas.hwpts.isEmpty()) {
                throw fail(op, args, Errno.EBUSY, "IOAS " + id + " still holds HWPT(s) "
                        + ioas.hwpts.stream().map(h -> String.valueOf(h.id)).collect(Collectors.joining(", ")));
            }
            if (!ioas.accesses.isEmpty()) {
                throw fail(op, args, Errno.EBUSY, "IOAS " + id + " is used by mdev(s) " + names(ioas.accesses));
            }
        } else if (obj instanceof Hwpt hwpt) {
            if (!hwpt.devices.isEmpty()) {
                throw fail(op, args, Errno.EBUSY, "HWPT " + id + " has attached device(s) " + names(hwpt.devices));
            }
            hwpt.ioas.hwpts.remove(hwpt);
        } else {
            throw fail(op, args, Errno.EBUSY, "id " + id + " is bound device " + ((Device) obj).name()
                    + ": only unbind (closing the device) releases it");
        }
        unregister(id);
    }

    @Override
    public synchronized BoundDevice bind(String deviceRef) {
        Objects.requireNonNull(deviceRef, "deviceRef");
        BackendOp op = BackendOp.BIND;
        begin(op, deviceRef);
        DeviceSpec spec = created.get(deviceRef);
        if (spec == null) {
            throw fail(op, deviceRef, Errno.ENOENT, "no device '" + deviceRef + "' was created; known: "
                    + (created.isEmpty() ? "none (use createDevice first)" : String.join(", ", created.keySet())));
        }
        Device bound = boundByName.get(deviceRef);
        if (bound != null) {
            throw fail(op, deviceRef, Errno.EINVAL, "device " + deviceRef + " is already bound as dev " + bound.id);
        }
        Device dev = new Device(lowestFreeId(), spec);
        register(dev);
        boundByName.put(spec.name(), dev);
        return new BoundDevice(dev.id, spec.name(), spec.mdev(),
                new DeviceFeatures(spec.migration(), spec.vfDirtyTracking(), spec.p2p()), spec.iommu().id(), spec.name());
    }

    @Override
    public synchronized void unbind(int devId) {
        BackendOp op = BackendOp.UNBIND;
        String args = "dev " + devId;
        begin(op, args);
        Device dev = deviceOrNull(devId);
        if (dev == null) {
            throw fail(op, args, Errno.ENOENT, describeMissing(devId, "a bound device"));
        }
        detachQuietly(dev);
        dev.log = null;
        unregister(dev.id);
        boundByName.remove(dev.name());
    }

    @Override
    public synchronized HostIommuDevice getHwInfo(int devId) {
        BackendOp op = BackendOp.GET_HW_INFO;
        String args = "dev " + devId;
        begin(op, args);
        Device dev = physicalDevice(op, args, devId);
        IommuSpec iommu = dev.spec.iommu();
        byte[] data = new byte[8]; // struct iommu_test_hw_info { u32 flags; u32 test_reg; }, little-endian
        for (int i = 0; i < 4; i++) {
            data[4 + i] = (byte) (SELFTEST_TEST_REG >>> (8 * i));
        }
        FlagSet<HwCap> caps = iommu.dirtyTracking() ? HwCap.setOf(HwCap.DIRTY_TRACKING) : HwCap.setOf();
        return new HostIommuDevice(dev.name(), HwInfoType.SELFTEST.code(), caps, data);
    }

    @Override
    public synchronized int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
        Objects.requireNonNull(flags, "flags");
        BackendOp op = BackendOp.HWPT_ALLOC;
        String args = "dev " + devId + ", ioas " + ptId + ", " + flags;
        begin(op, args);
        Device dev = physicalDevice(op, args, devId);                                      // K-ALLOC-3
        Obj pt = objects.get(ptId);
        if (pt == null) {                                                                   // K-ALLOC-4
            throw fail(op, args, Errno.EINVAL, "pt_id " + ptId + " does not exist (EINVAL, not ENOENT: a kernel quirk)");
        }
        if (pt instanceof Hwpt) {
            throw fail(op, args, Errno.EOPNOTSUPP, "pt_id " + ptId + " is a HWPT: a nested HWPT needs driver data,"
                    + " which this call never sends");
        }
        if (!(pt instanceof Ioas ioas)) {                                                   // K-ALLOC-4
            throw fail(op, args, Errno.EINVAL, "pt_id " + ptId + " is a device, not an IOAS");
        }
        long unknown = flags.bits() & ~KNOWN_PAGING_FLAGS;
        if (unknown != 0) {                                                                 // K-ALLOC-5
            throw fail(op, args, Errno.EOPNOTSUPP, "flag bits 0x" + Long.toHexString(unknown)
                    + " are unknown to a paging HWPT on Linux 6.12 (known: NEST_PARENT, DIRTY_TRACKING, FAULT_ID_VALID)");
        }
        IommuSpec iommu = dev.spec.iommu();
        if (flags.contains(HwptAllocFlag.DIRTY_TRACKING) && !iommu.dirtyTracking()) {        // K-ALLOC-6
            throw fail(op, args, Errno.EOPNOTSUPP, "the IOMMU " + iommu.id() + " of device " + dev.name()
                    + " has no dirty tracking");
        }
        if (flags.contains(HwptAllocFlag.NEST_PARENT) && !iommu.nestParent()) {
            throw fail(op, args, Errno.EOPNOTSUPP, "the IOMMU " + iommu.id() + " of device " + dev.name()
                    + " cannot be a nesting parent");
        }
        checkDomainFits(op, args, iommu, ioas);                                             // K-ALLOC-7
        if (flags.contains(HwptAllocFlag.FAULT_ID_VALID)) {
            throw fail(op, args, Errno.ENOENT, "FAULT_ID_VALID names fault_id 0, which is no fault object"
                    + " (this call cannot pass a fault queue)");
        }
        Hwpt hwpt = addHwpt(ioas, iommu, flags.contains(HwptAllocFlag.DIRTY_TRACKING),
                flags.contains(HwptAllocFlag.NEST_PARENT), false);
        return hwpt.id;
    }

    @Override
    public synchronized int attach(int devId, int ptId) {
        BackendOp op = BackendOp.ATTACH;
        String args = "dev " + devId + ", pt " + ptId;
        begin(op, args);
        Device dev = deviceOrNull(devId);
        if (dev == null) {
            throw fail(op, args, Errno.ENOENT, describeMissing(devId, "a bound device"));
        }
        if (dev.spec.mdev()) {
            return attachMdev(op, args, dev, ptId);
        }
        Obj pt = objects.get(ptId);
        if (pt == null) {                                                                   // K-ATT-1
            throw fail(op, args, Errno.ENOENT, ptId == 0 ? "pt_id 0 is never valid" : "no object has id " + ptId);
        }
        if (pt instanceof Hwpt hwpt) {
            String why = incompatibility(hwpt, dev);
            if (why != null) {                                                              // K-ATT-2
                throw fail(op, args, Errno.EINVAL, why);
            }
            moveDevice(dev, hwpt);                                                          // K-ATT-3
            return hwpt.id;
        }
        if (pt instanceof Ioas ioas) {                                                      // K-ATT-4
            return attachToAutoDomain(op, args, dev, ioas);
        }
        throw fail(op, args, Errno.EINVAL, "pt_id " + ptId + " is a device, neither an IOAS nor a HWPT");
    }

    @Override
    public synchronized void detach(int devId) {
        BackendOp op = BackendOp.DETACH;
        String args = "dev " + devId;
        begin(op, args);
        Device dev = deviceOrNull(devId);
        if (dev == null) {
            throw fail(op, args, Errno.ENOENT, describeMissing(devId, "a bound device"));
        }
        detachQuietly(dev);
    }

    @Override
    public synchronized void setDirtyTracking(int hwptId, boolean enable) {
        BackendOp op = BackendOp.SET_DIRTY_TRACKING;
        String args = "hwpt " + hwptId + ", " + (enable ? "enable" : "disable");
        begin(op, args);
        Hwpt hwpt = pagingHwpt(op, args, hwptId);                                           // K-SDT-2
        if (!hwpt.dirtyTracking) {                                                          // K-SDT-3
            throw fail(op, args, Errno.EOPNOTSUPP, "HWPT " + hwptId + " was allocated without DIRTY_TRACKING");
        }
        if (enable) {                                                                       // K-SDT-4
            hwpt.dirty.clear();
        }
        hwpt.trackingEnabled = enable;
    }

    @Override
    public synchronized void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear,
                                            DirtyBitmap into) {
        Objects.requireNonNull(into, "into");
        BackendOp op = BackendOp.GET_DIRTY_BITMAP;
        String args = "hwpt " + hwptId + ", iova " + hex(iova) + ", length " + hex(length) + ", page " + hex(pageSize)
                + (noClear ? ", NO_CLEAR" : "");
        into.requireCapacity(op + "(" + args + ")", length, pageSize);
        begin(op, args);
        Hwpt hwpt = pagingHwpt(op, args, hwptId);                                           // K-GDB-2
        if (length == 0) {
            // Measured on 6.12.117 (kernel lab): length 0 is EINVAL even where iova + length - 1 would wrap
            // (kernel-uapi.md's K-GDB-3 says EOVERFLOW for that case; the kernel is right).
            throw fail(op, args, Errno.EINVAL, "length is 0");
        }
        long last = iova + length - 1;
        if (Long.compareUnsigned(last, iova) < 0) {                                        // K-GDB-3
            throw fail(op, args, Errno.EOVERFLOW, "iova + length - 1 overflows 64 bits");
        }
        long alignment = alignment(hwpt.ioas);
        if ((iova & (alignment - 1)) != 0 || ((last + 1) & (alignment - 1)) != 0) {         // K-GDB-4
            throw fail(op, args, Errno.EINVAL, "iova and iova + length must be aligned to the IOAS alignment " + hex(alignment));
        }
        if (pageSize == 0) {
            throw fail(op, args, Errno.EINVAL, "page size is 0");
        }
        if ((iova & (pageSize - 1)) != 0 || ((last + 1) & (pageSize - 1)) != 0 || Long.bitCount(pageSize) != 1) {
            throw fail(op, args, Errno.EINVAL, "iova and iova + length must be aligned to the page size (a power of two)");
        }
        if (!hwpt.dirtyTracking) {                                                          // K-GDB-5
            throw fail(op, args, Errno.EOPNOTSUPP, "HWPT " + hwptId + " was allocated without DIRTY_TRACKING");
        }

        if (!hwpt.trackingEnabled) {
            return; // K-GDB-7: the driver refuses to read, the error is dropped, nothing is reported
        }
        readDirty(hwpt, iova, last, pageSize, noClear, into);                               // K-GDB-6, K-GDB-7
    }

    @Override
    public synchronized void dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize) {
        List<IovaRange> copy = List.copyOf(Objects.requireNonNull(ranges, "ranges"));
        BackendOp op = BackendOp.DMA_LOGGING_START;
        String args = "dev " + devId + ", " + copy.size() + " range(s), page " + hex(pageSize);
        begin(op, args);
        Device dev = loggingDevice(op, args, devId);
        if (copy.isEmpty()) {
            throw fail(op, args, Errno.EINVAL, "no ranges given");
        }
        if (pageSize == 0 || Long.bitCount(pageSize) != 1) {
            throw fail(op, args, Errno.EINVAL, "page size is not a power of two");
        }
        IovaIntervals seen = new IovaIntervals();
        for (IovaRange r : copy) {
            if ((r.iova() & (pageSize - 1)) != 0 || (r.length() & (pageSize - 1)) != 0) {
                throw fail(op, args, Errno.EINVAL, "range " + r + " is not aligned to the page size");
            }
            if (r.last() == U64_MAX) {
                throw fail(op, args, Errno.EOVERFLOW, "range " + r + " ends at 2^64");
            }
            if (!seen.overlapping(r.iova(), r.last()).isEmpty()) {
                throw fail(op, args, Errno.EINVAL, "range " + r + " overlaps another range");
            }
            seen.add(r.iova(), r.last());
        }
        if (dev.log != null) {
            throw fail(op, args, Errno.EINVAL, "DMA logging already runs on device " + dev.name());
        }
        dev.log = new DmaLog(copy, pageSize, new IovaIntervals());
    }

    @Override
    public synchronized void dmaLoggingStop(int devId) {
        BackendOp op = BackendOp.DMA_LOGGING_STOP;
        String args = "dev " + devId;
        begin(op, args);
        Device dev = loggingDevice(op, args, devId);
        dev.log = null; // stopping a log that does not run is harmless, as in the VFIO drivers
    }

    @Override
    public synchronized void dmaLoggingReport(int devId, long iova, long length, long pageSize, DirtyBitmap into) {
        Objects.requireNonNull(into, "into");
        BackendOp op = BackendOp.DMA_LOGGING_REPORT;
        String args = "dev " + devId + ", iova " + hex(iova) + ", length " + hex(length) + ", page " + hex(pageSize);
        into.requireCapacity(op + "(" + args + ")", length, pageSize);
        begin(op, args);
        Device dev = loggingDevice(op, args, devId);
        if (length == 0 || pageSize == 0) {
            throw fail(op, args, Errno.EINVAL, length == 0 ? "length is 0" : "page size is 0");
        }
        long last = iova + length - 1;
        if (Long.compareUnsigned(last, iova) < 0 || last == U64_MAX) {
            throw fail(op, args, Errno.EOVERFLOW, "iova + length overflows 64 bits");
        }
        if (Long.bitCount(pageSize) != 1) {
            throw fail(op, args, Errno.EINVAL, "page size is not a power of two");
        }
        if (dev.log == null) {
            throw fail(op, args, Errno.EINVAL, "DMA logging does not run on device " + dev.name());
        }
        for (long[] granule : dev.log.dirty.overlapping(iova, last)) {
            setBits(into, iova, last, pageSize, granule[0], granule[1]);
        }
        dev.log.dirty.remove(iova, last);
    }

    @Override
    public synchronized List<String> deviceRefs() {
        ensureOpen();
        return List.copyOf(created.keySet());
    }

    @Override
    public Optional<DeviceProvisioning> provisioning() {
        return Optional.of(this);
    }

    @Override
    public Optional<DmaSimulation> dmaSimulation() {
        return Optional.of(this);
    }

    @Override
    public Optional<FaultInjection> faultInjection() {
        return Optional.of(this);
    }

    @Override
    public Optional<ObjectInventory> inventory() {
        return Optional.of(this);
    }

    /** Drops every object, device and pending fault; later calls throw {@link IllegalStateException}. */
    @Override
    public synchronized void close() {
        closed = true;
        objects.clear();
        usedIds.clear();
        created.clear();
        iommus.clear();
        boundByName.clear();
        faults.clear();
    }

    // ---------------------------------------------------------------- DeviceProvisioning

    /** The mock can make any device: always empty. */
    @Override
    public Optional<String> cannotCreate(DeviceSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return Optional.empty();
    }

    /**
     * Makes the device; its reference is its name. Devices sharing an IOMMU id must agree on the IOMMU.
     *
     * @throws IllegalArgumentException for a name in use or an IOMMU id already described differently
     */
    @Override
    public synchronized String createDevice(DeviceSpec spec) {
        Objects.requireNonNull(spec, "spec");
        ensureOpen();
        if (created.containsKey(spec.name())) {
            throw new IllegalArgumentException("a device named '" + spec.name() + "' already exists");
        }
        IommuSpec known = iommus.get(spec.iommu().id());
        if (known != null && !known.equals(spec.iommu())) {
            throw new IllegalArgumentException("device " + spec.name() + ": IOMMU '" + spec.iommu().id()
                    + "' is already described as " + known + ", not " + spec.iommu());
        }
        iommus.put(spec.iommu().id(), spec.iommu());
        created.put(spec.name(), spec);
        return spec.name();
    }

    // ---------------------------------------------------------------- DmaSimulation

    /**
     * Device {@code devId} writes {@code [iova, iova + length)}. Only mapped IOVAs are written (the rest would
     * fault in the IOMMU). The written IOPTEs of the device's HWPT are marked dirty when tracking is enabled
     * there; the written pages enter the device's DMA log, within its ranges, while logging runs. A device
     * that is not attached is blocked from DMA: nothing happens and 0 is returned.
     *
     * @return the number of IOPTEs marked dirty in the HWPT (0 for an mdev, or with tracking off)
     * @throws IllegalArgumentException when {@code devId} is not a bound device
     */
    @Override
    public synchronized long dmaWrite(int devId, long iova, long length) {
        ensureOpen();
        Device dev = deviceOrNull(devId);
        if (dev == null) {
            throw new IllegalArgumentException("dmaWrite: " + describeMissing(devId, "a bound device"));
        }
        Ioas ioas = dev.hwpt != null ? dev.hwpt.ioas : dev.accessIoas;
        if (ioas == null || length == 0) {
            return 0;
        }
        long last = iova + length - 1;
        if (Long.compareUnsigned(last, iova) < 0) {
            last = U64_MAX;
        }
        long marked = 0;
        for (long[] area : areasMeeting(ioas, iova, last)) {
            long first = maxU(area[0], iova);
            long end = minU(area[1], last);
            if (dev.hwpt != null && dev.hwpt.trackingEnabled) {
                long pte = dev.hwpt.iommu.iopteSize();
                long pteFirst = first & -pte;
                long pteLast = (end & -pte) + pte - 1;
                dev.hwpt.dirty.add(pteFirst, pteLast);
                marked += Long.divideUnsigned(pteLast - pteFirst, pte) + 1;
            }
            if (dev.log != null) {
                logWrite(dev.log, first, end);
            }
        }
        return marked;
    }

    // ---------------------------------------------------------------- FaultInjection

    @Override
    public synchronized void failNth(BackendOp op, int nth, Errno errno) {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(errno, "errno");
        if (nth < 1) {
            throw new IllegalArgumentException("nth must be 1 or more (1 = the very next call), not " + nth);
        }
        if (errno == Errno.UNKNOWN) {
            throw new IllegalArgumentException("inject a listed errno, not UNKNOWN");
        }
        ensureOpen();
        faults.failNth(op, nth, errno);
    }

    @Override
    public synchronized void clearFaults() {
        ensureOpen();
        faults.clear();
    }

    @Override
    public synchronized Map<BackendOp, Long> callCounts() {
        ensureOpen();
        return faults.counts();
    }

    // ---------------------------------------------------------------- ObjectInventory

    @Override
    public synchronized List<BackendObject> liveObjects() {
        ensureOpen();
        List<BackendObject> out = new ArrayList<>(objects.size());
        objects.values().forEach(o -> out.add(new BackendObject(o.type(), o.id)));
        return List.copyOf(out);
    }

    // ---------------------------------------------------------------- attach helpers

    /** K-ATT-4: the first auto domain of the IOAS that takes the device, else a new one (never dirty-tracking). */
    private int attachToAutoDomain(BackendOp op, String args, Device dev, Ioas ioas) {
        for (Hwpt h : ioas.hwpts) {
            if (h.auto && incompatibility(h, dev) == null) {
                moveDevice(dev, h);
                return h.id;
            }
        }
        checkDomainFits(op, args, dev.spec.iommu(), ioas);
        Hwpt auto = addHwpt(ioas, dev.spec.iommu(), false, false, true);
        moveDevice(dev, auto);
        return auto.id;
    }

    /** An mdev is an iommufd access on an IOAS, not a device on a domain; the kernel keeps pt_id as given. */
    private int attachMdev(BackendOp op, String args, Device dev, int ptId) {
        Ioas ioas = ioasOrNull(ptId);
        if (ioas == null) {
            throw fail(op, args, Errno.ENOENT, "an mdev attaches only to an IOAS; " + describeMissing(ptId, "an IOAS"));
        }
        if (dev.accessIoas == ioas) {
            return ptId;
        }
        long needed = Math.max(alignment(ioas), HOST_PAGE_SIZE);
        long[] misaligned = firstMisalignedArea(ioas, needed);
        if (misaligned != null) {
            throw fail(op, args, Errno.EADDRINUSE, "the mapped area " + range(misaligned[0], misaligned[1])
                    + " is not aligned to the page size " + hex(needed) + " an mdev needs");
        }
        if (dev.accessIoas != null) {
            dev.accessIoas.accesses.remove(dev);
        }
        ioas.accesses.add(dev);
        dev.accessIoas = ioas;
        return ptId;
    }

    /** Why {@code dev} cannot attach to {@code hwpt} (K-ATT-2), or null. */
    private static String incompatibility(Hwpt hwpt, Device dev) {
        IommuSpec mine = dev.spec.iommu();
        if (!mine.family().equals(hwpt.iommu.family())) {
            return "HWPT " + hwpt.id + " belongs to IOMMU family '" + hwpt.iommu.family() + "', device " + dev.name()
                    + " sits behind '" + mine.family() + "'";
        }
        if (hwpt.dirtyTracking && !mine.dirtyTracking()) {
            return "HWPT " + hwpt.id + " enforces dirty tracking and the IOMMU " + mine.id() + " of device "
                    + dev.name() + " has none";
        }
        return null;
    }

    /** Puts {@code dev} on {@code hwpt} (a no-op if already there) and frees an auto domain it leaves empty. */
    private void moveDevice(Device dev, Hwpt hwpt) {
        Hwpt old = dev.hwpt;
        if (old == hwpt) {
            return;
        }
        hwpt.devices.add(dev);
        dev.hwpt = hwpt;
        if (old != null) {
            old.devices.remove(dev);
            freeIfEmptyAuto(old);
        }
    }

    private void detachQuietly(Device dev) {
        if (dev.accessIoas != null) {
            dev.accessIoas.accesses.remove(dev);
            dev.accessIoas = null;
        }
        Hwpt old = dev.hwpt;
        if (old != null) {
            old.devices.remove(dev);
            dev.hwpt = null;
            freeIfEmptyAuto(old);
        }
    }

    private void freeIfEmptyAuto(Hwpt hwpt) {
        if (hwpt.auto && hwpt.devices.isEmpty()) {
            hwpt.ioas.hwpts.remove(hwpt);
            unregister(hwpt.id);
        }
    }

    // ---------------------------------------------------------------- domain helpers

    /**
     * What {@code iopt_table_add_domain} checks when a domain of {@code iommu} joins {@code ioas}: its IOPTE
     * size may not exceed the host page (EINVAL), existing areas must suit the new alignment and lie inside the
     * aperture (EADDRINUSE, K-ALLOC-7).
     */
    private void checkDomainFits(BackendOp op, String args, IommuSpec iommu, Ioas ioas) {
        if (iommu.iopteSize() > HOST_PAGE_SIZE) {
            throw fail(op, args, Errno.EINVAL, "the IOPTE size " + hex(iommu.iopteSize()) + " of IOMMU " + iommu.id()
                    + " exceeds the host page size " + hex(HOST_PAGE_SIZE));
        }
        long newAlignment = Math.max(alignment(ioas), iommu.iopteSize());
        long[] misaligned = firstMisalignedArea(ioas, newAlignment);
        if (misaligned != null) {
            throw fail(op, args, Errno.EADDRINUSE, "the mapped area " + range(misaligned[0], misaligned[1])
                    + " is not aligned to the IOPTE size " + hex(newAlignment) + " of IOMMU " + iommu.id());
        }
        for (Map.Entry<Long, Long> area : ioas.areas.entrySet()) {
            if (!insideAperture(iommu, area.getKey(), area.getValue())) {
                throw fail(op, args, Errno.EADDRINUSE, "the mapped area " + range(area.getKey(), area.getValue())
                        + " lies outside the aperture " + aperture(iommu) + " of IOMMU " + iommu.id());
            }
        }
    }

    private Hwpt addHwpt(Ioas ioas, IommuSpec iommu, boolean dirty, boolean nestParent, boolean auto) {
        Hwpt hwpt = new Hwpt(lowestFreeId(), ioas, iommu, dirty, nestParent, auto);
        register(hwpt);
        ioas.hwpts.add(hwpt);
        return hwpt;
    }

    /** The IOAS alignment: the largest IOPTE size of its domains, the host page with an mdev on it, else 1. */
    private static long alignment(Ioas ioas) {
        long a = ioas.accesses.isEmpty() ? 1 : HOST_PAGE_SIZE;
        for (Hwpt h : ioas.hwpts) {
            a = Math.max(a, h.iommu.iopteSize());
        }
        return a;
    }

    private static long[] firstMisalignedArea(Ioas ioas, long alignment) {
        for (Map.Entry<Long, Long> area : ioas.areas.entrySet()) {
            if ((area.getKey() & (alignment - 1)) != 0 || ((area.getValue() + 1) & (alignment - 1)) != 0) {
                return new long[] {area.getKey(), area.getValue()};
            }
        }
        return null;
    }

    private static boolean insideAperture(IommuSpec iommu, long first, long last) {
        return Long.compareUnsigned(first, iommu.apertureStart()) >= 0
                && Long.compareUnsigned(last, iommu.apertureLast()) <= 0;
    }

    // ---------------------------------------------------------------- area and dirty helpers

    private static long[] firstAreaMeeting(Ioas ioas, long first, long last) {
        List<long[]> all = areasMeeting(ioas, first, last);
        return all.isEmpty() ? null : all.get(0);
    }

    /** The areas meeting {@code [first, last]}, unclipped, lowest first. */
    private static List<long[]> areasMeeting(Ioas ioas, long first, long last) {
        List<long[]> out = new ArrayList<>();
        Map.Entry<Long, Long> before = ioas.areas.lowerEntry(first);
        if (before != null && Long.compareUnsigned(before.getValue(), first) >= 0) {
            out.add(new long[] {before.getKey(), before.getValue()});
        }
        for (Map.Entry<Long, Long> e : ioas.areas.subMap(first, true, last, true).entrySet()) {
            out.add(new long[] {e.getKey(), e.getValue()});
        }
        return out;
    }

    private static void removeArea(Ioas ioas, long first, long last) {
        ioas.areas.remove(first);
        for (Hwpt h : ioas.hwpts) {
            h.dirty.remove(first, last);
        }
    }

    /**
     * K-GDB-6/7: walks the areas contiguous from {@code iova}; stops silently at the first hole (the kernel
     * ignores the walk's error), so bits are reported only up to it.
     */
    private static void readDirty(Hwpt hwpt, long iova, long last, long pageSize, boolean noClear, DirtyBitmap into) {
        long cur = iova;
        while (true) {
            Map.Entry<Long, Long> area = areaContaining(hwpt.ioas, cur);
            if (area == null) {
                return;
            }
            long segLast = minU(area.getValue(), last);
            for (long[] pte : hwpt.dirty.overlapping(cur, segLast)) {
                setBits(into, iova, last, pageSize, pte[0], pte[1]);
            }
            if (!noClear) {
                hwpt.dirty.remove(cur, segLast);
            }
            if (segLast == last) {
                return;
            }
            cur = segLast + 1;
        }
    }

    private static Map.Entry<Long, Long> areaContaining(Ioas ioas, long iova) {
        Map.Entry<Long, Long> e = ioas.areas.floorEntry(iova);
        return e != null && Long.compareUnsigned(e.getValue(), iova) >= 0 ? e : null;
    }

    /** Sets the bits of every page of {@code [iova, last]} that {@code [first, dirtyLast]} touches. */
    private static void setBits(DirtyBitmap into, long iova, long last, long pageSize, long first, long dirtyLast) {
        long from = maxU(first, iova);
        long to = minU(dirtyLast, last);
        if (Long.compareUnsigned(from, to) > 0) {
            return;
        }
        long firstBit = Long.divideUnsigned(from - iova, pageSize);
        long lastBit = Long.divideUnsigned(to - iova, pageSize);
        into.setRange(firstBit, lastBit - firstBit + 1);
    }

    private static void logWrite(DmaLog log, long first, long last) {
        for (IovaRange r : log.ranges()) {
            long from = maxU(first, r.iova());
            long to = minU(last, r.last());
            if (Long.compareUnsigned(from, to) <= 0) {
                long p = log.pageSize();
                log.dirty().add(from & -p, (to & -p) + p - 1);
            }
        }
    }

    // ---------------------------------------------------------------- lookups

    private Ioas ioasOrNull(int id) {
        return objects.get(id) instanceof Ioas ioas ? ioas : null;
    }

    private Device deviceOrNull(int id) {
        return objects.get(id) instanceof Device d ? d : null;
    }

    /** A bound device with an IOMMU of its own (an iommufd device object), else ENOENT (K-HWI-2, K-ALLOC-3). */
    private Device physicalDevice(BackendOp op, String args, int devId) {
        Device dev = deviceOrNull(devId);
        if (dev == null) {
            throw fail(op, args, Errno.ENOENT, describeMissing(devId, "a bound device"));
        }
        if (dev.spec.mdev()) {
            throw fail(op, args, Errno.ENOENT, "dev " + devId + " is mdev " + dev.name()
                    + ", an emulated device with no IOMMU of its own (the kernel gives it an access object, not a device)");
        }
        return dev;
    }

    private Hwpt pagingHwpt(BackendOp op, String args, int id) {
        if (objects.get(id) instanceof Hwpt h) {
            return h;
        }
        throw fail(op, args, Errno.ENOENT, describeMissing(id, "a paging HWPT"));
    }

    private Device loggingDevice(BackendOp op, String args, int devId) {
        Device dev = deviceOrNull(devId);
        if (dev == null) {
            throw fail(op, args, Errno.ENOENT, describeMissing(devId, "a bound device"));
        }
        if (!dev.spec.vfDirtyTracking()) {
            throw fail(op, args, Errno.ENOTTY, "device " + dev.name() + " has no DMA logging (VF dirty tracking)");
        }
        return dev;
    }

    private String describeMissing(int id, String wanted) {
        Obj obj = objects.get(id);
        if (obj == null) {
            return id == 0 ? "id 0 is never valid" : "no object has id " + id;
        }
        return "id " + id + " is " + describe(obj) + ", not " + wanted;
    }

    private static String describe(Obj obj) {
        if (obj instanceof Device d) {
            return "device " + d.name();
        }
        if (obj instanceof Hwpt h) {
            return (h.auto ? "auto-domain HWPT " : "HWPT ") + h.id;
        }
        return "IOAS " + obj.id;
    }

    // ---------------------------------------------------------------- plumbing

    private int lowestFreeId() {
        return usedIds.nextClearBit(1);
    }

    private void register(Obj o) {
        objects.put(o.id, o);
        usedIds.set(o.id);
    }

    private void unregister(int id) {
        objects.remove(id);
        usedIds.clear(id);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("backend closed");
        }
    }

    /** Checks the backend is open, counts the call and fires a pending fault for it. */
    private void begin(BackendOp op, String args) {
        ensureOpen();
        long call = faults.count(op) + 1;
        Optional<Errno> injected = faults.countCall(op);
        if (injected.isPresent()) {
            throw fail(op, args, injected.get(), "injected fault (call " + call + " of " + op + ")");
        }
    }

    private static IommufdException fail(BackendOp op, String args, Errno errno, String hint) {
        return new IommufdException(op, args, errno, errno.number(), hint);
    }

    private static String names(Set<Device> devices) {
        return devices.stream().map(Device::name).collect(Collectors.joining(", "));
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static String range(long first, long last) {
        return "[" + hex(first) + ", " + hex(last) + "]";
    }

    private static String aperture(IommuSpec iommu) {
        return range(iommu.apertureStart(), iommu.apertureLast());
    }

    private static long maxU(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }

    private static long minU(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0 ? a : b;
    }
}
