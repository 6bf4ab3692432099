package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.CallArguments;
import io.github.iommufd4j.api.DeviceFeatures;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwCap;
import io.github.iommufd4j.api.HwInfoType;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.api.ObjectInventory;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import static io.github.iommufd4j.backend.mock.DomainRules.hex;
import static io.github.iommufd4j.backend.mock.DomainRules.range;

/**
 * The kernel's side of the mock: one method per command, each making the kernel's checks in the kernel's order
 * (read from {@code iommufd_hwpt_alloc}, {@code iommufd_hwpt_paging_alloc}, {@code iopt_table_add_domain},
 * {@code iopt_alloc_area_pages}, {@code iopt_check_iova}, {@code iopt_unmap_iova_range},
 * {@code iommufd_check_iova_range}, {@code iommu_read_and_clear_dirty} and the VFIO DMA-logging handlers; rule ids
 * {@code K-...} of {@code docs/reference/kernel-uapi.md} at each check), over named parts: the
 * {@link ObjectTable} (ids, K-ID-1), {@link Ioas} areas on {@link IovaIntervals}, the {@link DomainRules}, the
 * {@link DirtyLog}, {@link MockProvisioning} and {@link MockDmaSimulation}.
 *
 * <p>A call that fails leaves no object behind and the state unchanged (K-FAIL), except {@link #ioasUnmap} which,
 * like the kernel, keeps the areas it removed before meeting one it would cut. Thread-safe: every method holds
 * this object's monitor, and so do the abilities. Fault injection is not here: {@link MockBackend} puts the api's
 * {@code FaultInjectingBackend} in front.
 */
final class MockKernel implements IommufdBackend {
    /** {@code test_reg} in the selftest driver data of GET_HW_INFO. */
    static final int SELFTEST_TEST_REG = 0xdeadbeef;

    private static final long U64_MAX = -1L;
    /** Flag bits Linux 6.12 accepts for a paging HWPT ({@code valid_flags} in iommufd_hwpt_paging_alloc). */
    private static final long KNOWN_PAGING_FLAGS = HwptAllocFlag.NEST_PARENT.bit() | HwptAllocFlag.DIRTY_TRACKING.bit()
            | HwptAllocFlag.FAULT_ID_VALID.bit();

    private final ObjectTable objects = new ObjectTable();
    private final DirtyLog dirty = new DirtyLog();
    private final MockProvisioning provisioning = new MockProvisioning(this);
    private final MockDmaSimulation dma = new MockDmaSimulation(this, objects, dirty);
    private final ObjectInventory inventory = this::liveObjects;
    private boolean closed;

    @Override
    public String providerName() {
        return MockBackendProvider.NAME;
    }

    // ---------------------------------------------------------------- IOAS

    @Override
    public synchronized int ioasAlloc() {
        ensureOpen();
        return objects.newIoas().id;
    }

    /** K-MAP, in the order of {@code iommufd_ioas_map} and {@code iopt_map_pages}. */
    @Override
    public synchronized void ioasMap(int ioasId, long iova, long length) {
        Call call = begin(BackendOp.IOAS_MAP, CallArguments.ioasRange(ioasId, iova, length));
        if (iova == U64_MAX || length == U64_MAX) {
            throw call.fail(Errno.EOVERFLOW, "iova and length must be below 2^64 - 1");
        }
        Ioas ioas = objects.ioas(ioasId);
        if (ioas == null) {
            throw call.fail(Errno.ENOENT, objects.describeMissing(ioasId, "an IOAS"));
        }
        if (length == 0 || Long.compareUnsigned(length, U64_MAX - DomainRules.HOST_PAGE_SIZE) > 0) {
            throw call.fail(Errno.EINVAL, length == 0 ? "length is 0" : "length is too large to pin");
        }
        long alignment = DomainRules.alignment(ioas);
        if ((length & (alignment - 1)) != 0) {
            throw call.fail(Errno.EINVAL, "length is not a multiple of the IOAS alignment " + hex(alignment));
        }
        if ((iova & (alignment - 1)) != 0) {
            throw call.fail(Errno.EINVAL, "iova is not aligned to the IOAS alignment " + hex(alignment));
        }
        long last = iova + length - 1;
        if (Long.compareUnsigned(last, iova) < 0) {
            throw call.fail(Errno.EOVERFLOW, "iova + length - 1 overflows 64 bits");
        }
        DomainRules.requireInsideApertures(call, ioas, iova, last);
        IovaRange clash = ioas.firstAreaMeeting(iova, last);
        if (clash != null) {
            throw call.fail(Errno.EEXIST, "overlaps the mapped area " + range(clash));
        }
        ioas.areas.put(new IovaRange(iova, length));
    }

    /**
     * K-UNMAP, as {@code iopt_unmap_iova_range}: areas are removed lowest first; one that sticks out stops the walk
     * with ENOENT, and the areas removed before it stay removed.
     */
    @Override
    public synchronized void ioasUnmap(int ioasId, long iova, long length) {
        Call call = begin(BackendOp.IOAS_UNMAP, CallArguments.ioasRange(ioasId, iova, length));
        Ioas ioas = objects.ioas(ioasId);
        if (ioas == null) {
            throw call.fail(Errno.ENOENT, objects.describeMissing(ioasId, "an IOAS"));
        }
        if (iova == 0 && length == U64_MAX) {
            for (IovaRange area : ioas.areas.all()) {
                removeArea(ioas, area);
            }
            return;
        }
        if (iova == U64_MAX || length == U64_MAX) {
            throw call.fail(Errno.EOVERFLOW,
                    "iova and length must be below 2^64 - 1 (except iova 0, length 2^64 - 1: unmap all)");
        }
        if (length == 0) {
            throw call.fail(Errno.EINVAL, "length is 0");
        }
        long last = iova + length - 1;
        if (Long.compareUnsigned(last, iova) < 0) {
            throw call.fail(Errno.EOVERFLOW, "iova + length - 1 overflows 64 bits");
        }
        boolean unmappedAny = false;
        for (IovaRange area : ioas.areas.overlapping(iova, last)) { // lowest first
            if (Long.compareUnsigned(area.iova(), iova) < 0 || Long.compareUnsigned(area.last(), last) > 0) {
                throw call.fail(Errno.ENOENT, "the range cuts into the mapped area " + range(area)
                        + (unmappedAny ? " (areas before it were unmapped, as the kernel does)" : ""));
            }
            removeArea(ioas, area);
            unmappedAny = true;
        }
        if (!unmappedAny) {
            throw call.fail(Errno.ENOENT, "nothing is mapped in " + range(iova, last));
        }
    }

    private void removeArea(Ioas ioas, IovaRange area) {
        ioas.areas.remove(area.iova(), area.last());
        dirty.unmapped(ioas, area);
    }

    /** K-DES-1, K-DES-2. */
    @Override
    public synchronized void destroy(int id) {
        Call call = begin(BackendOp.DESTROY, CallArguments.destroy(id));
        MockObject obj = objects.get(id);
        if (obj == null) {                                                                  // K-DES-1
            throw call.fail(Errno.ENOENT, id == 0 ? "id 0 is never valid" : "no object has id " + id);
        }
        if (obj instanceof Ioas ioas) {                                                     // K-DES-2
            if (!ioas.hwpts.isEmpty()) {
                throw call.fail(Errno.EBUSY, "IOAS " + id + " still holds HWPT(s) "
                        + ioas.hwpts.stream().map(h -> String.valueOf(h.id)).collect(Collectors.joining(", ")));
            }
            if (!ioas.accesses.isEmpty()) {
                throw call.fail(Errno.EBUSY, "IOAS " + id + " is used by mdev(s) " + names(ioas.accesses));
            }
            objects.remove(ioas);
        } else if (obj instanceof Hwpt hwpt) {
            if (!hwpt.devices.isEmpty()) {
                throw call.fail(Errno.EBUSY, "HWPT " + id + " has attached device(s) " + names(hwpt.devices));
            }
            removeHwpt(hwpt);
        } else {
            throw call.fail(Errno.EBUSY, "id " + id + " is bound device " + ((Device) obj).name()
                    + ": only unbind (closing the device) releases it");
        }
    }

    // ---------------------------------------------------------------- devices

    @Override
    public synchronized BoundDevice bind(String deviceRef) {
        Objects.requireNonNull(deviceRef, "deviceRef");
        Call call = begin(BackendOp.BIND, deviceRef);
        DeviceSpec spec = provisioning.spec(deviceRef);
        if (spec == null) {
            List<String> known = provisioning.refs();
            throw call.fail(Errno.ENOENT, "no device '" + deviceRef + "' was created; known: "
                    + (known.isEmpty() ? "none (use createDevice first)" : String.join(", ", known)));
        }
        Device bound = objects.boundDevice(deviceRef);
        if (bound != null) {
            throw call.fail(Errno.EINVAL, "device " + deviceRef + " is already bound as dev " + bound.id);
        }
        Device dev = objects.newDevice(spec);
        return new BoundDevice(dev.id, spec.name(), spec.mdev(),
                new DeviceFeatures(spec.migration(), spec.vfDirtyTracking(), spec.p2p()), spec.iommu().id(), spec.name());
    }

    /** Closing the device: detached first, its DMA log stopped. */
    @Override
    public synchronized void unbind(int devId) {
        Call call = begin(BackendOp.UNBIND, CallArguments.device(devId));
        Device dev = objects.device(devId);
        if (dev == null) {
            throw call.fail(Errno.ENOENT, objects.describeMissing(devId, "a bound device"));
        }
        detachQuietly(dev);
        dirty.stopLogging(dev);
        objects.remove(dev);
    }

    /** K-HWI-2, K-HWI-3: the selftest driver's answer (type SELFTEST, {@code test_reg}, DIRTY_TRACKING if any). */
    @Override
    public synchronized HostIommuDevice getHwInfo(int devId) {
        Call call = begin(BackendOp.GET_HW_INFO, CallArguments.device(devId));
        Device dev = physicalDevice(call, devId);                                           // K-HWI-2
        IommuSpec iommu = dev.spec.iommu();
        byte[] data = new byte[8]; // struct iommu_test_hw_info { u32 flags; u32 test_reg; }, little-endian
        for (int i = 0; i < 4; i++) {
            data[4 + i] = (byte) (SELFTEST_TEST_REG >>> (8 * i));
        }
        FlagSet<HwCap> caps = iommu.dirtyTracking() ? HwCap.setOf(HwCap.DIRTY_TRACKING) : HwCap.setOf();
        return new HostIommuDevice(dev.name(), HwInfoType.SELFTEST.code(), caps, data);
    }

    /**
     * K-ALLOC-3, K-ALLOC-4, K-ALLOC-5, K-ALLOC-6, K-ALLOC-7, in the order of {@code iommufd_hwpt_alloc} and
     * {@code iommufd_hwpt_paging_alloc}; between the core's flag checks and K-ALLOC-7, what the IOMMU's driver
     * refuses ({@link DriverRules}: arm-smmu-v3's DIRTY_TRACKING with NEST_PARENT).
     */
    @Override
    public synchronized int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
        Objects.requireNonNull(flags, "flags");
        Call call = begin(BackendOp.HWPT_ALLOC, CallArguments.hwptAlloc(devId, ptId, flags));
        Device dev = physicalDevice(call, devId);                                           // K-ALLOC-3
        MockObject pt = objects.get(ptId);
        if (pt == null) {                                                                   // K-ALLOC-4
            throw call.fail(Errno.EINVAL, "pt_id " + ptId + " does not exist (EINVAL, not ENOENT: a kernel quirk)");
        }
        if (pt instanceof Hwpt) {
            throw call.fail(Errno.EOPNOTSUPP, "pt_id " + ptId + " is a HWPT: a nested HWPT needs driver data,"
                    + " which this call never sends");
        }
        if (!(pt instanceof Ioas ioas)) {                                                   // K-ALLOC-4
            throw call.fail(Errno.EINVAL, "pt_id " + ptId + " is a device, not an IOAS");
        }
        long unknown = flags.bits() & ~KNOWN_PAGING_FLAGS;
        if (unknown != 0) {                                                                 // K-ALLOC-5
            throw call.fail(Errno.EOPNOTSUPP, "flag bits 0x" + Long.toHexString(unknown)
                    + " are unknown to a paging HWPT on Linux 6.12 (known: NEST_PARENT, DIRTY_TRACKING, FAULT_ID_VALID)");
        }
        IommuSpec iommu = dev.spec.iommu();
        if (flags.contains(HwptAllocFlag.DIRTY_TRACKING) && !iommu.dirtyTracking()) {        // K-ALLOC-6
            throw call.fail(Errno.EOPNOTSUPP, "the IOMMU " + iommu.id() + " of device " + dev.name()
                    + " has no dirty tracking");
        }
        if (flags.contains(HwptAllocFlag.NEST_PARENT) && !iommu.nestParent()) {
            throw call.fail(Errno.EOPNOTSUPP, "the IOMMU " + iommu.id() + " of device " + dev.name()
                    + " cannot be a nesting parent");
        }
        String refused = DriverRules.refusal(iommu, flags);
        if (refused != null) {                                                              // the driver's own rule
            throw call.fail(Errno.EOPNOTSUPP, refused);
        }
        DomainRules.requireDomainFits(call, iommu, ioas);                                    // K-ALLOC-7
        if (flags.contains(HwptAllocFlag.FAULT_ID_VALID)) {
            throw call.fail(Errno.ENOENT, "FAULT_ID_VALID names fault_id 0, which is no fault object"
                    + " (this call cannot pass a fault queue)");
        }
        return objects.newHwpt(ioas, iommu, flags.contains(HwptAllocFlag.DIRTY_TRACKING),
                flags.contains(HwptAllocFlag.NEST_PARENT), false).id;
    }

    /** K-ATT-1, K-ATT-2, K-ATT-3, K-ATT-4; an mdev is an access on an IOAS instead. */
    @Override
    public synchronized int attach(int devId, int ptId) {
        Call call = begin(BackendOp.ATTACH, CallArguments.attach(devId, ptId));
        Device dev = objects.device(devId);
        if (dev == null) {
            throw call.fail(Errno.ENOENT, objects.describeMissing(devId, "a bound device"));
        }
        if (dev.spec.mdev()) {
            return attachMdev(call, dev, ptId);
        }
        MockObject pt = objects.get(ptId);
        if (pt == null) {                                                                   // K-ATT-1
            throw call.fail(Errno.ENOENT, ptId == 0 ? "pt_id 0 is never valid" : "no object has id " + ptId);
        }
        if (pt instanceof Hwpt hwpt) {
            String why = DomainRules.incompatibility(hwpt, dev);
            if (why != null) {                                                              // K-ATT-2
                throw call.fail(Errno.EINVAL, why);
            }
            moveDevice(dev, hwpt);                                                          // K-ATT-3
            return hwpt.id;
        }
        if (pt instanceof Ioas ioas) {                                                      // K-ATT-4
            return attachToAutoDomain(call, dev, ioas);
        }
        throw call.fail(Errno.EINVAL, "pt_id " + ptId + " is a device, neither an IOAS nor a HWPT");
    }

    /** K-ATT-4: the first auto domain of the IOAS that takes the device, else a new one (never dirty-tracking). */
    private int attachToAutoDomain(Call call, Device dev, Ioas ioas) {
        for (Hwpt h : ioas.hwpts) {
            if (h.auto && DomainRules.incompatibility(h, dev) == null) {
                moveDevice(dev, h);
                return h.id;
            }
        }
        DomainRules.requireDomainFits(call, dev.spec.iommu(), ioas);
        Hwpt auto = objects.newHwpt(ioas, dev.spec.iommu(), false, false, true);
        moveDevice(dev, auto);
        return auto.id;
    }

    /** An mdev is an iommufd access on an IOAS, not a device on a domain; the kernel keeps pt_id as given. */
    private int attachMdev(Call call, Device dev, int ptId) {
        Ioas ioas = objects.ioas(ptId);
        if (ioas == null) {
            throw call.fail(Errno.ENOENT, "an mdev attaches only to an IOAS; " + objects.describeMissing(ptId, "an IOAS"));
        }
        if (dev.accessIoas == ioas) {
            return ptId;
        }
        DomainRules.requireAccessFits(call, ioas);
        if (dev.accessIoas != null) {
            dev.accessIoas.accesses.remove(dev);
        }
        ioas.accesses.add(dev);
        dev.accessIoas = ioas;
        return ptId;
    }

    /** K-DETACH: a device that is not attached is a no-op. */
    @Override
    public synchronized void detach(int devId) {
        Call call = begin(BackendOp.DETACH, CallArguments.device(devId));
        Device dev = objects.device(devId);
        if (dev == null) {
            throw call.fail(Errno.ENOENT, objects.describeMissing(devId, "a bound device"));
        }
        detachQuietly(dev);
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

    /** K-ATT-4: an auto domain dies with its last device. */
    private void freeIfEmptyAuto(Hwpt hwpt) {
        if (hwpt.auto && hwpt.devices.isEmpty()) {
            removeHwpt(hwpt);
        }
    }

    private void removeHwpt(Hwpt hwpt) {
        objects.remove(hwpt);
        dirty.forget(hwpt);
    }

    // ---------------------------------------------------------------- dirty tracking

    /** K-SDT-2, K-SDT-3, K-SDT-4. */
    @Override
    public synchronized void setDirtyTracking(int hwptId, boolean enable) {
        Call call = begin(BackendOp.SET_DIRTY_TRACKING, CallArguments.setDirtyTracking(hwptId, enable));
        Hwpt hwpt = pagingHwpt(call, hwptId);                                               // K-SDT-2
        if (!hwpt.dirtyTracking) {                                                          // K-SDT-3
            throw call.fail(Errno.EOPNOTSUPP, "HWPT " + hwptId + " was allocated without DIRTY_TRACKING");
        }
        dirty.setTracking(hwpt, enable);                                                    // K-SDT-4
    }

    /**
     * K-GDB-2, K-GDB-3, K-GDB-4, K-GDB-5, then K-GDB-6 and K-GDB-7 in the {@link DirtyLog}, in the order of
     * {@code iommufd_check_iova_range} and {@code iopt_read_and_clear_dirty_data}.
     */
    @Override
    public synchronized void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear,
                                            DirtyBitmap into) {
        Objects.requireNonNull(into, "into");
        String args = CallArguments.getDirtyBitmap(hwptId, iova, length, pageSize, noClear);
        into.requireCapacity(() -> BackendOp.GET_DIRTY_BITMAP + "(" + args + ")", length, pageSize);
        Call call = begin(BackendOp.GET_DIRTY_BITMAP, args);
        Hwpt hwpt = pagingHwpt(call, hwptId);                                               // K-GDB-2
        if (length == 0) {
            // Measured on 6.12.117: length 0 is EINVAL even where iova + length - 1 would wrap (K-GDB-3).
            throw call.fail(Errno.EINVAL, "length is 0");
        }
        long last = iova + length - 1;
        if (Long.compareUnsigned(last, iova) < 0) {                                        // K-GDB-3
            throw call.fail(Errno.EOVERFLOW, "iova + length - 1 overflows 64 bits");
        }
        long alignment = DomainRules.alignment(hwpt.ioas);
        if ((iova & (alignment - 1)) != 0 || ((last + 1) & (alignment - 1)) != 0) {         // K-GDB-4
            throw call.fail(Errno.EINVAL, "iova and iova + length must be aligned to the IOAS alignment " + hex(alignment));
        }
        if (pageSize == 0) {
            throw call.fail(Errno.EINVAL, "page size is 0");
        }
        if ((iova & (pageSize - 1)) != 0 || ((last + 1) & (pageSize - 1)) != 0 || Long.bitCount(pageSize) != 1) {
            throw call.fail(Errno.EINVAL, "iova and iova + length must be aligned to the page size (a power of two)");
        }
        if (!hwpt.dirtyTracking) {                                                          // K-GDB-5
            throw call.fail(Errno.EOPNOTSUPP, "HWPT " + hwptId + " was allocated without DIRTY_TRACKING");
        }
        dirty.read(hwpt, iova, last, pageSize, noClear, into);                              // K-GDB-6, K-GDB-7
    }

    // ---------------------------------------------------------------- DMA logging (VF dirty tracking)

    @Override
    public synchronized void dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize) {
        List<IovaRange> copy = List.copyOf(Objects.requireNonNull(ranges, "ranges"));
        Call call = begin(BackendOp.DMA_LOGGING_START, CallArguments.dmaLoggingStart(devId, copy, pageSize));
        Device dev = loggingDevice(call, devId);
        if (copy.isEmpty()) {
            throw call.fail(Errno.EINVAL, "no ranges given");
        }
        if (pageSize == 0 || Long.bitCount(pageSize) != 1) {
            throw call.fail(Errno.EINVAL, "page size is not a power of two");
        }
        IovaIntervals seen = new IovaIntervals();
        for (IovaRange r : copy) {
            if ((r.iova() & (pageSize - 1)) != 0 || (r.length() & (pageSize - 1)) != 0) {
                throw call.fail(Errno.EINVAL, "range " + r + " is not aligned to the page size");
            }
            if (r.last() == U64_MAX) {
                throw call.fail(Errno.EOVERFLOW, "range " + r + " ends at 2^64");
            }
            if (!seen.overlapping(r.iova(), r.last()).isEmpty()) {
                throw call.fail(Errno.EINVAL, "range " + r + " overlaps another range");
            }
            seen.add(r.iova(), r.last());
        }
        if (dirty.logging(dev)) {
            throw call.fail(Errno.EINVAL, "DMA logging already runs on device " + dev.name());
        }
        dirty.startLogging(dev, copy, pageSize);
    }

    /** Stopping a log that does not run is harmless, as in the VFIO drivers. */
    @Override
    public synchronized void dmaLoggingStop(int devId) {
        Call call = begin(BackendOp.DMA_LOGGING_STOP, CallArguments.device(devId));
        Device dev = loggingDevice(call, devId);
        dirty.stopLogging(dev);
    }

    @Override
    public synchronized void dmaLoggingReport(int devId, long iova, long length, long pageSize, DirtyBitmap into) {
        Objects.requireNonNull(into, "into");
        String args = CallArguments.dmaLoggingReport(devId, iova, length, pageSize);
        into.requireCapacity(() -> BackendOp.DMA_LOGGING_REPORT + "(" + args + ")", length, pageSize);
        Call call = begin(BackendOp.DMA_LOGGING_REPORT, args);
        Device dev = loggingDevice(call, devId);
        if (length == 0 || pageSize == 0) {
            throw call.fail(Errno.EINVAL, length == 0 ? "length is 0" : "page size is 0");
        }
        long last = iova + length - 1;
        if (Long.compareUnsigned(last, iova) < 0 || last == U64_MAX) {
            throw call.fail(Errno.EOVERFLOW, "iova + length overflows 64 bits");
        }
        if (Long.bitCount(pageSize) != 1) {
            throw call.fail(Errno.EINVAL, "page size is not a power of two");
        }
        if (!dirty.logging(dev)) {
            throw call.fail(Errno.EINVAL, "DMA logging does not run on device " + dev.name());
        }
        dirty.report(dev, iova, last, pageSize, into);
    }

    // ---------------------------------------------------------------- abilities and lifecycle

    @Override
    public synchronized List<String> deviceRefs() {
        ensureOpen();
        return provisioning.refs();
    }

    @Override
    public Optional<DeviceProvisioning> provisioning() {
        return Optional.of(provisioning);
    }

    @Override
    public Optional<DmaSimulation> dmaSimulation() {
        return Optional.of(dma);
    }

    @Override
    public Optional<ObjectInventory> inventory() {
        return Optional.of(inventory);
    }

    private synchronized List<BackendObject> liveObjects() {
        ensureOpen();
        return objects.live();
    }

    /** Drops every object and device; later calls throw {@link IllegalStateException}. */
    @Override
    public synchronized void close() {
        closed = true;
        objects.clear();
        dirty.clear();
        provisioning.clear();
    }

    /** Throws {@link IllegalStateException} once closed. Called under this object's monitor. */
    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("backend closed");
        }
    }

    /** Checks the backend is open; the call's failures name it. */
    private Call begin(BackendOp op, String args) {
        ensureOpen();
        return new Call(op, args);
    }

    // ---------------------------------------------------------------- lookups

    /** A bound device with an IOMMU of its own (an iommufd device object), else ENOENT (K-HWI-2, K-ALLOC-3). */
    private Device physicalDevice(Call call, int devId) {
        Device dev = objects.device(devId);
        if (dev == null) {
            throw call.fail(Errno.ENOENT, objects.describeMissing(devId, "a bound device"));
        }
        if (dev.spec.mdev()) {
            throw call.fail(Errno.ENOENT, "dev " + devId + " is mdev " + dev.name()
                    + ", an emulated device with no IOMMU of its own (the kernel gives it an access object, not a device)");
        }
        return dev;
    }

    private Hwpt pagingHwpt(Call call, int id) {
        Hwpt h = objects.hwpt(id);
        if (h == null) {
            throw call.fail(Errno.ENOENT, objects.describeMissing(id, "a paging HWPT"));
        }
        return h;
    }

    /** A bound device with VF dirty tracking; ENOENT for no device, ENOTTY for one without DMA logging. */
    private Device loggingDevice(Call call, int devId) {
        Device dev = objects.device(devId);
        if (dev == null) {
            throw call.fail(Errno.ENOENT, objects.describeMissing(devId, "a bound device"));
        }
        if (!dev.spec.vfDirtyTracking()) {
            throw call.fail(Errno.ENOTTY, "device " + dev.name() + " has no DMA logging (VF dirty tracking)");
        }
        return dev;
    }

    private static String names(java.util.Collection<Device> devices) {
        return devices.stream().map(Device::name).collect(Collectors.joining(", "));
    }
}
