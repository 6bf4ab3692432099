package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.CallArguments;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FaultInjection;
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
import io.github.iommufd4j.backend.linux.uapi.SetDirtyTracking;
import io.github.iommufd4j.backend.linux.uapi.UserBitmap;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import static io.github.iommufd4j.backend.linux.KernelCalls.hex;

/**
 * One open {@code /dev/iommu}. Every command is one ioctl through {@link KernelCalls}; the errno becomes an
 * {@link IommufdException}. The iommufd commands are made here; device commands go to the {@link SourceDevice}
 * the {@link DeviceSource} bound (a VFIO cdev, or a device of the kernel's selftest mock), and the source's
 * abilities are the backend's. The backend records what it made in its {@link ObjectTable} and the memory behind
 * its mappings in {@link GuestMemory}. Thread-safe: every method holds this object's monitor.
 *
 * <p>With {@code faults=kernel} every call is counted by a {@link KernelFaultInjection} ({@link #admit}) which may
 * arm the kernel's fail-nth for the call's own ioctl; {@link #settle} drops a fault the call did not take.
 */
final class LinuxBackend implements IommufdBackend {
    /** Largest driver data GET_HW_INFO may ask this backend to hold. */
    static final int MAX_HW_INFO_DATA = 64 * 1024;
    /** First driver-data buffer size for GET_HW_INFO (every 6.12 driver's data fits). */
    static final int FIRST_HW_INFO_DATA = 256;

    private final LinuxHost host;
    private final KernelCalls kernel;
    private final Ioctls sys;
    private final ObjectTable objects = new ObjectTable();
    private final GuestMemory guestMemory = new GuestMemory();
    private final DeviceSource source;
    /** Kernel-made faults ({@code faults=kernel}), or null. */
    private final KernelFaultInjection faults;
    private final ObjectInventory inventory = this::liveObjects;
    private boolean closed;

    /**
     * The backend over the open {@code iommufd}, with the device source {@code options} name.
     *
     * @throws io.github.iommufd4j.api.BackendUnavailableException when the kernel lacks what the source needs
     */
    LinuxBackend(LinuxHost host, Ioctls sys, int iommufd, LinuxOptions options) {
        this.host = host;
        this.sys = sys;
        this.kernel = new KernelCalls(sys, iommufd);
        DeviceSource base = switch (options.source()) {
            case VFIO -> new VfioCdevSource(kernel, new VfioDevices(host.sysfs(), host.vfioCdevDir()), options.devices());
            case SELFTEST -> new SelftestSource(kernel, objects, this, options.vfLogging() == LinuxOptions.VfLogging.DECLARED);
        };
        this.source = options.mdevType() == null ? base : new MdevSource(kernel, objects, host, options.mdevType(), base, this);
        this.faults = switch (options.faults()) {
            case NONE -> null;
            case KERNEL -> new KernelFaultInjection(this, sys, kernel, host.debugfs(), source.kinds());
        };
    }

    /** Counts a call of {@code op} on a device of {@code kind} (null: none) and arms a kernel-made fault aimed at it. */
    private void admit(BackendOp op, SourceKind kind) {
        if (faults != null) {
            faults.admit(op, kind);
        }
    }

    /** The kind of the bound device {@code devId}, or null. */
    private SourceKind kindOf(int devId) {
        SourceDevice d = objects.device(devId);
        return d == null ? null : d.kind();
    }

    /** After a call: drops a fault armed for it that no ioctl took. */
    private void settle() {
        if (faults != null) {
            faults.settle();
        }
    }

    @Override
    public String providerName() {
        return LinuxBackendProvider.NAME;
    }

    // ---- IOAS -------------------------------------------------------------------------------------------

    @Override
    public synchronized int ioasAlloc() {
        NativeStruct s = IoasAlloc.encode();
        admit(BackendOp.IOAS_ALLOC, null);
        try {
            kernel.call(BackendOp.IOAS_ALLOC, "", IoasAlloc.REQUEST, s);
        } finally {
            settle();
        }
        int id = IoasAlloc.outIoasId(s);
        objects.ioasAllocated(id);
        return id;
    }

    /** Maps {@code length} bytes of fresh anonymous memory; a failed map frees it again. */
    @Override
    public synchronized void ioasMap(int ioasId, long iova, long length) {
        String args = CallArguments.ioasRange(ioasId, iova, length);
        kernel.checkOpen();
        admit(BackendOp.IOAS_MAP, null);
        try {
            map(ioasId, iova, length, args);
        } finally {
            settle();
        }
    }

    private void map(int ioasId, long iova, long length, String args) {
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
        try {
            kernel.call(BackendOp.IOAS_MAP, args, IoasMap.REQUEST, s);
        } catch (IommufdException e) {
            if (memory != null) {
                memory.close();
            }
            throw e;
        }
        guestMemory.mapped(ioasId, iova, length, memory);
    }

    @Override
    public synchronized void ioasUnmap(int ioasId, long iova, long length) {
        NativeStruct s = IoasUnmap.encode(ioasId, iova, length);
        admit(BackendOp.IOAS_UNMAP, null);
        try {
            kernel.call(BackendOp.IOAS_UNMAP, CallArguments.ioasRange(ioasId, iova, length), IoasUnmap.REQUEST, s);
        } finally {
            settle();
        }
        guestMemory.unmapped(ioasId, iova, length);
    }

    @Override
    public synchronized void destroy(int id) {
        admit(BackendOp.DESTROY, null);
        try {
            kernel.call(BackendOp.DESTROY, CallArguments.destroy(id), IommuDestroy.REQUEST, IommuDestroy.encode(id));
        } finally {
            settle();
        }
        if (objects.destroyed(id)) {
            guestMemory.unmapped(id, 0, -1L);
        }
    }

    // ---- devices ----------------------------------------------------------------------------------------

    @Override
    public synchronized BoundDevice bind(String deviceRef) {
        Objects.requireNonNull(deviceRef, "deviceRef");
        kernel.checkOpen();
        admit(BackendOp.BIND, source.kindOf(deviceRef));
        SourceDevice d;
        try {
            d = source.bind(deviceRef);
        } finally {
            settle();
        }
        objects.bound(d);
        return d.info();
    }

    @Override
    public synchronized void unbind(int devId) {
        kernel.checkOpen();
        admit(BackendOp.UNBIND, kindOf(devId));
        settle(); // an unbind is not an ioctl that fail-nth could fail: a fault aimed at it was refused by admit
        SourceDevice d = device(BackendOp.UNBIND, devId);
        int errno = d.release();
        if (errno != 0) {
            throw KernelCalls.failure(BackendOp.UNBIND, CallArguments.device(devId), errno);
        }
        objects.released(devId);
    }

    @Override
    public synchronized HostIommuDevice getHwInfo(int devId) {
        kernel.checkOpen();
        admit(BackendOp.GET_HW_INFO, kindOf(devId));
        try {
            return hwInfo(devId);
        } finally {
            settle();
        }
    }

    private HostIommuDevice hwInfo(int devId) {
        String args = CallArguments.device(devId);
        int size = FIRST_HW_INFO_DATA;
        for (int attempt = 0; attempt < 3; attempt++) {
            try (NativeRegion data = sys.allocate(size)) {
                NativeStruct s = HwInfo.encode(devId, size, data.address());
                kernel.call(BackendOp.GET_HW_INFO, args, HwInfo.REQUEST, s);
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
        SourceDevice d = objects.device(devId);
        return d == null ? "dev " + devId : d.info().name();
    }

    @Override
    public synchronized int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
        String args = CallArguments.hwptAlloc(devId, ptId, flags);
        if ((flags.bits() >>> 32) != 0) {
            throw new IllegalArgumentException("HWPT_ALLOC(" + args + "): flag bits above 32 cannot be sent");
        }
        NativeStruct s = HwptAlloc.encode(devId, ptId, (int) flags.bits());
        kernel.checkOpen();
        admit(BackendOp.HWPT_ALLOC, kindOf(devId));
        try {
            kernel.call(BackendOp.HWPT_ALLOC, args, HwptAlloc.REQUEST, s);
        } finally {
            settle();
        }
        int id = HwptAlloc.outHwptId(s);
        objects.hwptAllocated(id);
        return id;
    }

    @Override
    public synchronized int attach(int devId, int ptId) {
        kernel.checkOpen();
        admit(BackendOp.ATTACH, kindOf(devId));
        SourceDevice d;
        int hwpt;
        try {
            d = device(BackendOp.ATTACH, devId);
            hwpt = d.attach(ptId);
        } finally {
            settle();
        }
        if (d.kind().attachesToHwpt()) {
            objects.attached(devId, hwpt);
        } else {
            objects.detached(devId);
        }
        return hwpt;
    }

    @Override
    public synchronized void detach(int devId) {
        kernel.checkOpen();
        admit(BackendOp.DETACH, kindOf(devId));
        try {
            device(BackendOp.DETACH, devId).detach();
        } finally {
            settle();
        }
        objects.detached(devId);
    }

    // ---- dirty tracking ---------------------------------------------------------------------------------

    @Override
    public synchronized void setDirtyTracking(int hwptId, boolean enable) {
        kernel.checkOpen();
        admit(BackendOp.SET_DIRTY_TRACKING, null);
        try {
            kernel.call(BackendOp.SET_DIRTY_TRACKING, CallArguments.setDirtyTracking(hwptId, enable), SetDirtyTracking.REQUEST,
                    SetDirtyTracking.encode(hwptId, enable));
        } finally {
            settle();
        }
        objects.tracking(hwptId, enable);
    }

    /**
     * The bitmap buffer is sized from the request ({@code ceil(ceil(length / pageSize) / 64)} words) and checked
     * against {@code into} before any allocation or native call: the kernel writes that many words, whatever
     * the caller's bitmap holds. That holds for a power-of-two page size only: the kernel addresses its bitmap by
     * the page size's lowest set bit ({@code iova_bitmap_alloc}: {@code __ffs(page_size)}), so for another page
     * size it would write past such a buffer. Such a request is refused before the call.
     *
     * @throws IllegalArgumentException for a page size other than 0 that is not a power of two, or a bitmap
     *                                  {@code into} too small for the range
     */
    @Override
    public synchronized void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear, DirtyBitmap into) {
        String args = CallArguments.getDirtyBitmap(hwptId, iova, length, pageSize, noClear);
        if (pageSize != 0 && Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("GET_DIRTY_BITMAP(" + args + "): page size " + hex(pageSize)
                    + " is not a power of two; the kernel would address its bitmap in pages of " + hex(Long.lowestOneBit(pageSize))
                    + " and write past a buffer sized for this page size");
        }
        long words = Objects.requireNonNull(into, "into").requireCapacity(() -> "GET_DIRTY_BITMAP(" + args + ")", length, pageSize);
        kernel.checkOpen();
        admit(BackendOp.GET_DIRTY_BITMAP, null);
        try (NativeRegion bitmap = sys.allocate(UserBitmap.bufferSize(words))) {
            NativeStruct s = GetDirtyBitmap.encode(hwptId, iova, length, pageSize, noClear, bitmap.address());
            kernel.call(BackendOp.GET_DIRTY_BITMAP, args, GetDirtyBitmap.REQUEST, s);
            UserBitmap.orInto(bitmap, words, into);
        } finally {
            settle();
        }
    }

    @Override
    public synchronized void dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize) {
        List<IovaRange> copy = List.copyOf(Objects.requireNonNull(ranges, "ranges"));
        kernel.checkOpen();
        admit(BackendOp.DMA_LOGGING_START, kindOf(devId));
        try {
            device(BackendOp.DMA_LOGGING_START, devId).dmaLoggingStart(copy, pageSize);
        } finally {
            settle();
        }
    }

    @Override
    public synchronized void dmaLoggingStop(int devId) {
        kernel.checkOpen();
        admit(BackendOp.DMA_LOGGING_STOP, kindOf(devId));
        try {
            device(BackendOp.DMA_LOGGING_STOP, devId).dmaLoggingStop();
        } finally {
            settle();
        }
    }

    /** As {@link #getDirtyBitmap}: the buffer is sized from the request and checked before the call. */
    @Override
    public synchronized void dmaLoggingReport(int devId, long iova, long length, long pageSize, DirtyBitmap into) {
        String args = CallArguments.dmaLoggingReport(devId, iova, length, pageSize);
        long words = Objects.requireNonNull(into, "into").requireCapacity(() -> "DMA_LOGGING_REPORT(" + args + ")", length, pageSize);
        kernel.checkOpen();
        admit(BackendOp.DMA_LOGGING_REPORT, kindOf(devId));
        try {
            device(BackendOp.DMA_LOGGING_REPORT, devId).dmaLoggingReport(iova, length, pageSize, words, into);
        } finally {
            settle();
        }
    }

    @Override
    public synchronized List<String> deviceRefs() {
        return source.deviceRefs();
    }

    // ---- abilities ----------------------------------------------------------------------------------------

    @Override
    public Optional<DeviceProvisioning> provisioning() {
        return source.provisioning();
    }

    @Override
    public Optional<DmaSimulation> dmaSimulation() {
        return source.dmaSimulation();
    }

    /** {@code faults=kernel}: the kernel's own failures ({@link KernelFaults}); otherwise none. */
    @Override
    public Optional<FaultInjection> faultInjection() {
        return Optional.ofNullable(faults);
    }

    @Override
    public Optional<ObjectInventory> inventory() {
        return Optional.of(inventory);
    }

    private synchronized List<BackendObject> liveObjects() {
        return objects.live();
    }

    // ---- close ------------------------------------------------------------------------------------------

    /**
     * Releases every device, closes {@code /dev/iommu} (the kernel then destroys every object of the fd) and
     * frees the guest memory; does all of that, then throws {@link IllegalStateException} naming every step
     * that failed.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        kernel.markClosed();
        List<String> problems = new ArrayList<>();
        for (SourceDevice d : objects.devices()) {
            int errno = d.release();
            if (errno != 0) {
                problems.add("releasing " + d.info().name() + ": " + KernelCalls.errnoName(errno));
            }
            objects.released(d.info().devId());
        }
        int errno = sys.close(kernel.iommufd);
        if (errno != 0) {
            problems.add("closing " + host.iommuDevice() + ": " + KernelCalls.errnoName(errno));
        }
        problems.addAll(source.close());
        if (faults != null) {
            faults.close();
        }
        problems.addAll(guestMemory.freeAll());
        objects.clear();
        if (!problems.isEmpty()) {
            throw new IllegalStateException("closing the linux backend: " + String.join("; ", problems));
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private SourceDevice device(BackendOp op, int devId) {
        kernel.checkOpen();
        SourceDevice d = objects.device(devId);
        if (d == null) {
            throw new IommufdException(op, CallArguments.device(devId), Errno.ENOENT, Errno.ENOENT.number(),
                    "no device bound with that id in this backend");
        }
        return d;
    }
}
