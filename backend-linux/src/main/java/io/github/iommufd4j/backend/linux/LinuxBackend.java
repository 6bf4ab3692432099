package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceFeatures;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwCap;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.api.ObjectInventory;
import io.github.iommufd4j.backend.linux.sys.Ioctls;
import io.github.iommufd4j.backend.linux.sys.NativeCallException;
import io.github.iommufd4j.backend.linux.sys.NativeRegion;
import io.github.iommufd4j.backend.linux.sys.NativeStruct;
import io.github.iommufd4j.backend.linux.uapi.GetDirtyBitmap;
import io.github.iommufd4j.backend.linux.uapi.HwInfo;
import io.github.iommufd4j.backend.linux.uapi.HwptAlloc;
import io.github.iommufd4j.backend.linux.uapi.IoasAlloc;
import io.github.iommufd4j.backend.linux.uapi.IoasMap;
import io.github.iommufd4j.backend.linux.uapi.IoasUnmap;
import io.github.iommufd4j.backend.linux.uapi.IommuDestroy;
import io.github.iommufd4j.backend.linux.uapi.IommuTestCmd;
import io.github.iommufd4j.backend.linux.uapi.SetDirtyTracking;
import io.github.iommufd4j.backend.linux.uapi.VfioAttach;
import io.github.iommufd4j.backend.linux.uapi.VfioBind;
import io.github.iommufd4j.backend.linux.uapi.VfioDetach;
import io.github.iommufd4j.backend.linux.uapi.VfioFeature;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One open {@code /dev/iommu}. Every command is one ioctl through {@link Ioctls}; the errno becomes an
 * {@link IommufdException}. Devices are VFIO cdevs or, with the selftest source, mock devices of the kernel's
 * {@code IOMMU_TEST_CMD} (see the module README for how the mock's attach and detach are mapped).
 */
final class LinuxBackend implements IommufdBackend {
    /** Largest driver data GET_HW_INFO may ask this backend to hold. */
    static final int MAX_HW_INFO_DATA = 64 * 1024;
    /** First driver-data buffer size for GET_HW_INFO (every 6.12 driver's data fits). */
    static final int FIRST_HW_INFO_DATA = 256;
    /** Largest number of mock IOPTEs one simulated DMA write marks. */
    static final long MAX_DMA_WRITE_PAGES = 1L << 30;

    private final LinuxHost host;
    private final Ioctls sys;
    private final int iommufd;
    private final LinuxOptions options;
    private final VfioDevices vfio;
    private boolean closed;

    /** Bound devices by dev id. */
    private final Map<Integer, Device> devices = new LinkedHashMap<>();
    /** The HWPT each attached device is on (a HWPT allocated here or an auto domain). */
    private final Map<Integer, Integer> attachedTo = new LinkedHashMap<>();
    private final Set<Integer> ioases = new LinkedHashSet<>();
    private final Set<Integer> hwpts = new LinkedHashSet<>();
    private final Set<Integer> dirtyTrackingOn = new LinkedHashSet<>();
    /** Guest memory mapped into each IOAS, by IOVA. */
    private final Map<Integer, TreeMap<Long, GuestMemory>> guestMemory = new LinkedHashMap<>();
    /** Selftest source: devices specified by createDevice, by name. */
    private final Map<String, DeviceSpec> specs = new LinkedHashMap<>();
    /** Selftest source: the IOAS where mock devices wait while not attached (0 until first needed). */
    private int parkingIoas;

    private sealed interface Device permits VfioDevice, MockDevice {
        BoundDevice info();
    }

    private record VfioDevice(int fd, BoundDevice info) implements Device {
    }

    private record MockDevice(int stdevId, BoundDevice info) implements Device {
    }

    private record GuestMemory(long length, NativeRegion region) {
    }

    LinuxBackend(LinuxHost host, Ioctls sys, int iommufd, LinuxOptions options) {
        this.host = host;
        this.sys = sys;
        this.iommufd = iommufd;
        this.options = options;
        this.vfio = new VfioDevices(host.sysfs(), host.vfioCdevDir());
    }

    @Override
    public String providerName() {
        return LinuxBackendProvider.NAME;
    }

    // ---- IOAS -------------------------------------------------------------------------------------------

    @Override
    public synchronized int ioasAlloc() {
        NativeStruct s = IoasAlloc.encode();
        call(BackendOp.IOAS_ALLOC, "", IoasAlloc.REQUEST, s);
        int id = IoasAlloc.outIoasId(s);
        ioases.add(id);
        return id;
    }

    @Override
    public synchronized void ioasMap(int ioasId, long iova, long length) {
        String args = "ioas " + ioasId + ", iova " + hex(iova) + ", length " + hex(length);
        checkOpen();
        NativeRegion memory = null;
        if (length != 0) {
            try {
                memory = sys.mmapAnonymous(length);
            } catch (NativeCallException | IllegalArgumentException e) {
                int errno = e instanceof NativeCallException n ? n.errno() : Errno.ENOMEM.number();
                throw new IommufdException(BackendOp.IOAS_MAP, args, Errno.ofNumber(errno), errno,
                        "could not mmap " + Long.toUnsignedString(length) + " bytes of guest memory to map");
            }
        }
        NativeStruct s = IoasMap.encodeFixed(ioasId, memory == null ? 0 : memory.address(), iova, length);
        int errno = sys.ioctl(iommufd, IoasMap.REQUEST, s);
        if (errno != 0) {
            if (memory != null) {
                memory.close();
            }
            throw failure(BackendOp.IOAS_MAP, args, errno);
        }
        guestMemory.computeIfAbsent(ioasId, k -> new TreeMap<>(Long::compareUnsigned)).put(iova, new GuestMemory(length, memory));
    }

    @Override
    public synchronized void ioasUnmap(int ioasId, long iova, long length) {
        String args = "ioas " + ioasId + ", iova " + hex(iova) + ", length " + hex(length);
        NativeStruct s = IoasUnmap.encode(ioasId, iova, length);
        call(BackendOp.IOAS_UNMAP, args, IoasUnmap.REQUEST, s);
        freeGuestMemory(ioasId, iova, length);
    }

    /** Frees the guest memory of every area inside {@code [iova, iova + length)} (the kernel unmaps whole areas). */
    private void freeGuestMemory(int ioasId, long iova, long length) {
        TreeMap<Long, GuestMemory> areas = guestMemory.get(ioasId);
        if (areas == null) {
            return;
        }
        long last = length == 0 ? iova : iova + length - 1;
        boolean all = iova == 0 && length == -1L;
        for (Iterator<Map.Entry<Long, GuestMemory>> it = areas.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, GuestMemory> e = it.next();
            long areaLast = e.getKey() + e.getValue().length() - 1;
            if (all || (Long.compareUnsigned(e.getKey(), iova) >= 0 && Long.compareUnsigned(areaLast, last) <= 0)) {
                e.getValue().region().close();
                it.remove();
            }
        }
        if (areas.isEmpty()) {
            guestMemory.remove(ioasId);
        }
    }

    @Override
    public synchronized void destroy(int id) {
        call(BackendOp.DESTROY, "id " + id, IommuDestroy.REQUEST, IommuDestroy.encode(id));
        if (ioases.remove(id)) {
            freeGuestMemory(id, 0, -1L);
        }
        hwpts.remove(id);
        dirtyTrackingOn.remove(id);
    }

    // ---- devices ----------------------------------------------------------------------------------------

    @Override
    public synchronized BoundDevice bind(String deviceRef) {
        checkOpen();
        return options.source() == LinuxOptions.Source.SELFTEST ? bindMock(deviceRef) : bindVfio(deviceRef);
    }

    private BoundDevice bindVfio(String ref) {
        VfioDevices.Resolved dev;
        try {
            dev = vfio.resolve(ref);
        } catch (IllegalArgumentException e) {
            throw new IommufdException(BackendOp.BIND, ref, Errno.ENOENT, Errno.ENOENT.number(), e.getMessage());
        }
        int fd = sys.open(dev.cdev().toString(), Ioctls.O_RDWR | Ioctls.O_CLOEXEC);
        if (fd < 0) {
            throw new IommufdException(BackendOp.BIND, ref, Errno.ofNumber(-fd), -fd, "cannot open " + dev.cdev());
        }
        NativeStruct s = VfioBind.encode(iommufd);
        int errno = sys.ioctl(fd, VfioBind.REQUEST, s);
        if (errno != 0) {
            sys.close(fd);
            throw failure(BackendOp.BIND, ref, errno);
        }
        int devId = VfioBind.outDevId(s);
        BoundDevice info = new BoundDevice(devId, dev.name(), false, probeFeatures(fd),
                vfio.iommuInstance(dev.pciAddress()), vfio.iommuGroup(dev.pciAddress()));
        devices.put(devId, new VfioDevice(fd, info));
        return info;
    }

    /** VFIO_DEVICE_FEATURE probes: migration (GET, with its P2P flag) and DMA logging (PROBE|SET on START). */
    private DeviceFeatures probeFeatures(int fd) {
        NativeStruct mig = VfioFeature.getMigration();
        boolean migration = sys.ioctl(fd, VfioFeature.REQUEST, mig) == 0;
        boolean p2p = migration && (VfioFeature.migrationFlags(mig) & VfioFeature.MIGRATION_P2P) != 0;
        boolean logging = sys.ioctl(fd, VfioFeature.REQUEST,
                VfioFeature.probe(VfioFeature.FEATURE_DMA_LOGGING_START, VfioFeature.FLAG_SET)) == 0;
        return new DeviceFeatures(migration, logging, p2p);
    }

    private BoundDevice bindMock(String ref) {
        DeviceSpec spec = specs.get(ref);
        if (spec == null) {
            throw new IommufdException(BackendOp.BIND, ref, Errno.ENOENT, Errno.ENOENT.number(),
                    "no selftest device of that name; make it with provisioning().createDevice(spec) first");
        }
        for (Device d : devices.values()) {
            if (d.info().name().equals(ref)) {
                throw new IommufdException(BackendOp.BIND, ref, Errno.EINVAL, Errno.EINVAL.number(), "already bound");
            }
        }
        int parking = parkingIoas();
        int flags = spec.iommu().dirtyTracking() ? 0 : IommuTestCmd.MOCK_FLAGS_DEVICE_NO_DIRTY;
        NativeStruct s = IommuTestCmd.mockDomainFlags(parking, flags);
        call(BackendOp.BIND, ref, IommuTestCmd.REQUEST, s);
        int stdev = s.getInt(IommuTestCmd.MD_OFF_OUT_STDEV_ID);
        int idev = s.getInt(IommuTestCmd.MD_OFF_OUT_IDEV_ID);
        // out_hwpt_id is an auto domain in the parking IOAS: never kept (ids are reused at once).
        DeviceFeatures features = new DeviceFeatures(spec.migration(), false, spec.p2p());
        BoundDevice info = new BoundDevice(idev, ref, false, features, spec.iommu().id(), null);
        devices.put(idev, new MockDevice(stdev, info));
        return info;
    }

    private int parkingIoas() {
        if (parkingIoas == 0) {
            NativeStruct s = IoasAlloc.encode();
            call(BackendOp.BIND, "parking IOAS for selftest devices", IoasAlloc.REQUEST, s);
            parkingIoas = IoasAlloc.outIoasId(s);
        }
        return parkingIoas;
    }

    @Override
    public synchronized void unbind(int devId) {
        Device d = device(BackendOp.UNBIND, devId);
        int errno = release(d);
        if (errno != 0) {
            throw failure(BackendOp.UNBIND, "dev " + devId, errno);
        }
    }

    /** Closes a VFIO device's fd, or destroys a mock device through its stdev id. */
    private int release(Device d) {
        int errno = d instanceof VfioDevice v
                ? sys.close(v.fd())
                : sys.ioctl(iommufd, IommuDestroy.REQUEST, IommuDestroy.encode(((MockDevice) d).stdevId()));
        if (errno == 0) {
            devices.remove(d.info().devId());
            attachedTo.remove(d.info().devId());
        }
        return errno;
    }

    @Override
    public synchronized HostIommuDevice getHwInfo(int devId) {
        checkOpen();
        String args = "dev " + devId;
        int size = FIRST_HW_INFO_DATA;
        for (int attempt = 0; attempt < 3; attempt++) {
            try (NativeRegion data = sys.allocate(size)) {
                NativeStruct s = HwInfo.encode(devId, size, data.address());
                call(BackendOp.GET_HW_INFO, args, HwInfo.REQUEST, s);
                long kernelLen = Integer.toUnsignedLong(HwInfo.dataLen(s));
                if (kernelLen > MAX_HW_INFO_DATA) {
                    throw new IllegalStateException("GET_HW_INFO(" + args + "): the kernel reports " + kernelLen
                            + " bytes of driver data, more than the " + MAX_HW_INFO_DATA + " this backend accepts");
                }
                if (kernelLen <= size) {
                    byte[] vendor = new byte[(int) kernelLen];
                    data.read(0, vendor);
                    FlagSet<HwCap> caps = FlagSet.ofBits(HwCap.class, HwInfo.outCapabilities(s));
                    return new HostIommuDevice(deviceName(devId), HwInfo.outDataType(s), caps, vendor);
                }
                size = (int) kernelLen; // K-HWI-3: the buffer was too small, ask again with the kernel's length
            }
        }
        throw new IllegalStateException("GET_HW_INFO(" + args + "): the driver data length kept growing");
    }

    private String deviceName(int devId) {
        Device d = devices.get(devId);
        return d == null ? "dev " + devId : d.info().name();
    }

    @Override
    public synchronized int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
        String args = "dev " + devId + ", ioas " + ptId + ", " + flags;
        if ((flags.bits() >>> 32) != 0) {
            throw new IllegalArgumentException("HWPT_ALLOC(" + args + "): flag bits above 32 cannot be sent");
        }
        NativeStruct s = HwptAlloc.encode(devId, ptId, (int) flags.bits());
        call(BackendOp.HWPT_ALLOC, args, HwptAlloc.REQUEST, s);
        int id = HwptAlloc.outHwptId(s);
        hwpts.add(id);
        return id;
    }

    @Override
    public synchronized int attach(int devId, int ptId) {
        String args = "dev " + devId + ", pt " + ptId;
        Device d = device(BackendOp.ATTACH, devId);
        int hwpt;
        if (d instanceof VfioDevice v) {
            NativeStruct s = VfioAttach.encode(ptId);
            callOn(v.fd(), BackendOp.ATTACH, args, VfioAttach.REQUEST, s);
            hwpt = VfioAttach.ptId(s);
        } else {
            NativeStruct s = IommuTestCmd.mockDomainReplace(((MockDevice) d).stdevId(), ptId);
            call(BackendOp.ATTACH, args, IommuTestCmd.REQUEST, s);
            hwpt = s.getInt(IommuTestCmd.REPLACE_OFF_PT_ID);
        }
        attachedTo.put(devId, hwpt);
        return hwpt;
    }

    @Override
    public synchronized void detach(int devId) {
        String args = "dev " + devId;
        Device d = device(BackendOp.DETACH, devId);
        if (d instanceof VfioDevice v) {
            callOn(v.fd(), BackendOp.DETACH, args, VfioDetach.REQUEST, VfioDetach.encode());
        } else {
            // The mock has no detach: park the device in the private IOAS so that nothing of the caller's
            // stays referenced (its auto domain there is the kernel's, never recorded).
            call(BackendOp.DETACH, args, IommuTestCmd.REQUEST,
                    IommuTestCmd.mockDomainReplace(((MockDevice) d).stdevId(), parkingIoas()));
        }
        attachedTo.remove(devId);
    }

    // ---- dirty tracking ---------------------------------------------------------------------------------

    @Override
    public synchronized void setDirtyTracking(int hwptId, boolean enable) {
        String args = "hwpt " + hwptId + ", " + (enable ? "enable" : "disable");
        call(BackendOp.SET_DIRTY_TRACKING, args, SetDirtyTracking.REQUEST, SetDirtyTracking.encode(hwptId, enable));
        if (enable) {
            dirtyTrackingOn.add(hwptId);
        } else {
            dirtyTrackingOn.remove(hwptId);
        }
    }

    @Override
    public synchronized void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear, DirtyBitmap into) {
        String args = "hwpt " + hwptId + ", iova " + hex(iova) + ", length " + hex(length) + ", page " + pageSize
                + (noClear ? ", NO_CLEAR" : "");
        long words = java.util.Objects.requireNonNull(into, "into").requireCapacity("GET_DIRTY_BITMAP(" + args + ")", length, pageSize);
        checkOpen();
        try (NativeRegion bitmap = sys.allocate(Math.max(8, words * 8))) {
            NativeStruct s = GetDirtyBitmap.encode(hwptId, iova, length, pageSize, noClear, bitmap.address());
            call(BackendOp.GET_DIRTY_BITMAP, args, GetDirtyBitmap.REQUEST, s);
            orInto(bitmap, words, into);
        }
    }

    private static void orInto(NativeRegion bitmap, long words, DirtyBitmap into) {
        for (int i = 0; i < words; i++) {
            long w = bitmap.getLong(8L * i);
            if (w != 0) {
                into.orWord(i, w);
            }
        }
    }

    @Override
    public synchronized void dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize) {
        String args = "dev " + devId + ", " + ranges + ", page " + pageSize;
        VfioDevice v = vfioDevice(BackendOp.DMA_LOGGING_START, devId, args);
        try (NativeRegion table = sys.allocate(Math.max(1, (long) ranges.size() * VfioFeature.RANGE_SIZE))) {
            for (int i = 0; i < ranges.size(); i++) {
                table.putLong((long) i * VfioFeature.RANGE_SIZE + VfioFeature.RANGE_OFF_IOVA, ranges.get(i).iova());
                table.putLong((long) i * VfioFeature.RANGE_SIZE + VfioFeature.RANGE_OFF_LENGTH, ranges.get(i).length());
            }
            callOn(v.fd(), BackendOp.DMA_LOGGING_START, args, VfioFeature.REQUEST,
                    VfioFeature.dmaLoggingStart(pageSize, ranges.size(), table.address()));
        }
    }

    @Override
    public synchronized void dmaLoggingStop(int devId) {
        String args = "dev " + devId;
        VfioDevice v = vfioDevice(BackendOp.DMA_LOGGING_STOP, devId, args);
        callOn(v.fd(), BackendOp.DMA_LOGGING_STOP, args, VfioFeature.REQUEST, VfioFeature.dmaLoggingStop());
    }

    @Override
    public synchronized void dmaLoggingReport(int devId, long iova, long length, long pageSize, DirtyBitmap into) {
        String args = "dev " + devId + ", iova " + hex(iova) + ", length " + hex(length) + ", page " + pageSize;
        long words = java.util.Objects.requireNonNull(into, "into").requireCapacity("DMA_LOGGING_REPORT(" + args + ")", length, pageSize);
        VfioDevice v = vfioDevice(BackendOp.DMA_LOGGING_REPORT, devId, args);
        try (NativeRegion bitmap = sys.allocate(Math.max(8, words * 8))) {
            callOn(v.fd(), BackendOp.DMA_LOGGING_REPORT, args, VfioFeature.REQUEST,
                    VfioFeature.dmaLoggingReport(iova, length, pageSize, bitmap.address()));
            orInto(bitmap, words, into);
        }
    }

    /** The VFIO device {@code devId}; a mock device has no VFIO features, as a device without them: ENOTTY. */
    private VfioDevice vfioDevice(BackendOp op, int devId, String args) {
        Device d = device(op, devId);
        if (d instanceof VfioDevice v) {
            return v;
        }
        throw new IommufdException(op, args, Errno.ENOTTY, Errno.ENOTTY.number(),
                "a selftest mock device has no VFIO device features");
    }

    @Override
    public synchronized List<String> deviceRefs() {
        if (options.source() == LinuxOptions.Source.SELFTEST) {
            return List.copyOf(specs.keySet());
        }
        return options.devices().isEmpty() ? vfio.list() : options.devices();
    }

    // ---- abilities ----------------------------------------------------------------------------------------

    @Override
    public Optional<DeviceProvisioning> provisioning() {
        return options.source() == LinuxOptions.Source.SELFTEST ? Optional.of(new SelftestProvisioning()) : Optional.empty();
    }

    @Override
    public Optional<DmaSimulation> dmaSimulation() {
        return options.source() == LinuxOptions.Source.SELFTEST ? Optional.of(this::dmaWrite) : Optional.empty();
    }

    @Override
    public Optional<ObjectInventory> inventory() {
        return Optional.of(this::liveObjects);
    }

    private synchronized List<BackendObject> liveObjects() {
        List<BackendObject> out = new ArrayList<>();
        for (int id : ioases) {
            out.add(new BackendObject(BackendObject.Type.IOAS, id));
        }
        Set<Integer> liveHwpts = new LinkedHashSet<>(hwpts);
        liveHwpts.addAll(attachedTo.values()); // auto domains live while a device is on them
        for (int id : liveHwpts) {
            out.add(new BackendObject(BackendObject.Type.HWPT, id));
        }
        for (int id : devices.keySet()) {
            out.add(new BackendObject(BackendObject.Type.DEVICE, id));
        }
        out.sort(java.util.Comparator.comparingInt(BackendObject::id));
        return List.copyOf(out);
    }

    /** The selftest source's device making: specs are checked and kept; {@link #bind} creates the mock device. */
    private final class SelftestProvisioning implements DeviceProvisioning {
        @Override
        public Optional<String> cannotCreate(DeviceSpec spec) {
            synchronized (LinuxBackend.this) {
                return selftestCannotCreate(spec, specs.values(), sys.pageSize());
            }
        }

        @Override
        public String createDevice(DeviceSpec spec) {
            synchronized (LinuxBackend.this) {
                checkOpen();
                if (specs.containsKey(spec.name())) {
                    throw new IllegalArgumentException("a selftest device named '" + spec.name() + "' already exists");
                }
                Optional<String> why = selftestCannotCreate(spec, specs.values(), sys.pageSize());
                if (why.isPresent()) {
                    throw new UnsupportedOperationException("cannot create selftest device " + spec.name() + ": " + why.get());
                }
                specs.put(spec.name(), spec);
                return spec.name();
            }
        }
    }

    /** Why the kernel's mock cannot stand for {@code spec}, given the devices already specified. */
    static Optional<String> selftestCannotCreate(DeviceSpec spec, Iterable<DeviceSpec> existing, long hostPageSize) {
        var iommu = spec.iommu();
        if (spec.mdev()) {
            return Optional.of("the selftest mock makes PCI-like devices, not mediated devices");
        }
        if (spec.vfDirtyTracking()) {
            return Optional.of("the selftest mock has no VFIO device DMA logging (VF dirty tracking)");
        }
        if (!iommu.nestParent()) {
            return Optional.of("the selftest mock IOMMU always accepts NEST_PARENT; nestParent=false cannot be honoured");
        }
        if (iommu.apertureStart() != io.github.iommufd4j.api.IommuSpec.MOCK_APERTURE_START
                || iommu.apertureLast() != io.github.iommufd4j.api.IommuSpec.MOCK_APERTURE_LAST) {
            return Optional.of("the selftest mock's aperture is fixed at [0x1000000, 0x7fffffff]");
        }
        if (iommu.iopteSize() != hostPageSize / 2) {
            return Optional.of("the selftest mock's IOPTE size is half the host page: " + hostPageSize / 2
                    + ", not " + iommu.iopteSize());
        }
        for (DeviceSpec other : existing) {
            if (!other.iommu().family().equals(iommu.family())) {
                return Optional.of("the selftest mock is one IOMMU family (" + other.iommu().family()
                        + " here); a second family " + iommu.family() + " cannot be made");
            }
        }
        return Optional.empty();
    }

    /** TEST_CMD DIRTY over the HWPT the device is on, at the mock IOPTE size. */
    synchronized long dmaWrite(int devId, long iova, long length) {
        Device d = devices.get(devId);
        if (!(d instanceof MockDevice)) {
            throw new IllegalArgumentException("dmaWrite: dev " + devId + " is not a bound selftest device");
        }
        if (length == 0) {
            return 0;
        }
        Integer hwpt = attachedTo.get(devId);
        if (hwpt == null || !dirtyTrackingOn.contains(hwpt)) {
            return 0; // parked, on an auto domain, or tracking off: nothing records the write
        }
        long page = sys.pageSize() / 2;
        long start = iova & -page;
        long end = iova + length;
        long alignedEnd = (end + page - 1) & -page;
        if (Long.compareUnsigned(alignedEnd, start) <= 0) {
            throw new IllegalArgumentException("dmaWrite: range " + hex(iova) + " + " + hex(length) + " overflows");
        }
        long pages = Long.divideUnsigned(alignedEnd - start, page);
        if (pages > MAX_DMA_WRITE_PAGES) {
            throw new IllegalArgumentException("dmaWrite: " + pages + " pages is more than " + MAX_DMA_WRITE_PAGES);
        }
        long words = (pages + 63) >>> 6;
        try (NativeRegion bits = sys.allocate(words * 8)) {
            for (long w = 0; w < words; w++) {
                long remaining = pages - w * 64;
                bits.putLong(w * 8, remaining >= 64 ? -1L : (1L << remaining) - 1);
            }
            NativeStruct s = IommuTestCmd.dirty(hwpt, start, alignedEnd - start, page, bits.address());
            int errno = sys.ioctl(iommufd, IommuTestCmd.REQUEST, s);
            if (errno != 0) {
                throw new IllegalStateException("IOMMU_TEST_CMD DIRTY(hwpt " + hwpt + ", iova " + hex(start) + ", length "
                        + hex(alignedEnd - start) + ", page " + page + ") for dev " + devId + " failed: "
                        + LinuxBackendProvider.errnoName(errno));
            }
            return s.getLong(IommuTestCmd.DIRTY_OFF_OUT_NR_DIRTY);
        }
    }

    // ---- close ------------------------------------------------------------------------------------------

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<String> problems = new ArrayList<>();
        for (Device d : new ArrayList<>(devices.values())) {
            int errno = release(d);
            if (errno != 0) {
                problems.add("releasing " + d.info().name() + ": " + LinuxBackendProvider.errnoName(errno));
                devices.remove(d.info().devId());
            }
        }
        int errno = sys.close(iommufd); // the kernel destroys every remaining object of this fd
        if (errno != 0) {
            problems.add("closing " + host.iommuDevice() + ": " + LinuxBackendProvider.errnoName(errno));
        }
        for (TreeMap<Long, GuestMemory> areas : guestMemory.values()) {
            for (GuestMemory m : areas.values()) {
                try {
                    m.region().close();
                } catch (RuntimeException e) {
                    problems.add("freeing guest memory: " + e.getMessage());
                }
            }
        }
        guestMemory.clear();
        ioases.clear();
        hwpts.clear();
        attachedTo.clear();
        dirtyTrackingOn.clear();
        if (!problems.isEmpty()) {
            throw new IllegalStateException("closing the linux backend: " + String.join("; ", problems));
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private Device device(BackendOp op, int devId) {
        checkOpen();
        Device d = devices.get(devId);
        if (d == null) {
            throw new IommufdException(op, "dev " + devId, Errno.ENOENT, Errno.ENOENT.number(),
                    "no device bound with that id in this backend");
        }
        return d;
    }

    private void call(BackendOp op, String args, int request, NativeStruct s) {
        callOn(iommufd, op, args, request, s);
    }

    private void callOn(int fd, BackendOp op, String args, int request, NativeStruct s) {
        checkOpen();
        int errno = sys.ioctl(fd, request, s);
        if (errno != 0) {
            throw failure(op, args, errno);
        }
    }

    private static IommufdException failure(BackendOp op, String args, int errno) {
        return new IommufdException(op, args, Errno.ofNumber(errno), errno, hint(op, Errno.ofNumber(errno)));
    }

    /** What an errno usually means for a command (kernel-uapi.md section 3). */
    static String hint(BackendOp op, Errno e) {
        return switch (e) {
            case ENOTTY -> "the kernel does not know this command (too old, or not built with it)";
            case EOPNOTSUPP -> op == BackendOp.HWPT_ALLOC ? "a flag the IOMMU cannot honour, e.g. DIRTY_TRACKING without"
                    + " IOMMU dirty tracking (K-ALLOC-6)" : "a flag or value the kernel does not support";
            case EBUSY -> op == BackendOp.DESTROY ? "the object is still in use (K-DES-2)" : null;
            case EINVAL -> op == BackendOp.ATTACH ? "the domain is incompatible with the device (K-ATT-2)" : null;
            default -> null;
        };
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the linux backend is closed");
        }
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
