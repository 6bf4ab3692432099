package io.github.iommufd4j.api;

import java.util.List;
import java.util.Optional;

/**
 * One open iommufd: the kernel's objects and commands, not QEMU's. Every method is one kernel command (one
 * ioctl on a real kernel) and fails with an {@link IommufdException} carrying the kernel's errno, as
 * {@code docs/reference/kernel-uapi.md} section 3 specifies. Ids are per backend instance (K-ID-1).
 *
 * <p>Arguments that no kernel call could express (a null, a negative count, a bitmap too small for the
 * requested range) are rejected with {@link IllegalArgumentException} or {@link NullPointerException}
 * before anything reaches the kernel.
 *
 * <p>Implementations are thread-safe. Optional abilities ({@link #provisioning()}, {@link #dmaSimulation()},
 * {@link #faultInjection()}, {@link #inventory()}) are discovered, never assumed.
 */
public interface IommufdBackend extends AutoCloseable {

    /**
     * The provider that opened this backend.
     *
     * @return its name
     */
    String providerName();

    /**
     * {@code IOMMU_IOAS_ALLOC}: a new, empty IOAS.
     *
     * @return its id
     */
    int ioasAlloc();

    /**
     * {@code IOMMU_IOAS_MAP} with {@code FIXED_IOVA | READABLE | WRITEABLE}: maps {@code length} bytes of
     * memory the backend provides (guest RAM stand-in) at {@code iova}.
     *
     * @param ioasId the IOAS
     * @param iova   where
     * @param length how many bytes
     */
    void ioasMap(int ioasId, long iova, long length);

    /**
     * {@code IOMMU_IOAS_UNMAP}; {@code iova 0, length -1 (U64_MAX)} unmaps everything.
     *
     * @param ioasId the IOAS
     * @param iova   where
     * @param length how many bytes
     */
    void ioasUnmap(int ioasId, long iova, long length);

    /**
     * {@code IOMMU_DESTROY} of an IOAS or a HWPT (K-DES-1, K-DES-2).
     *
     * @param id the object's id
     */
    void destroy(int id);

    /**
     * Opens the device named by {@code deviceRef} (backend-specific: a name, a path, a PCI address) and
     * {@code VFIO_DEVICE_BIND_IOMMUFD}s it.
     *
     * @param deviceRef the device
     * @return the bound device, with its {@code devId}
     */
    BoundDevice bind(String deviceRef);

    /**
     * Unbinds and closes a bound device ({@code close(fd)}): detaches it first if needed.
     *
     * @param devId the device
     */
    void unbind(int devId);

    /**
     * {@code IOMMU_GET_HW_INFO(devId)}.
     *
     * @param devId the device
     * @return the host IOMMU seen through the device
     */
    HostIommuDevice getHwInfo(int devId);

    /**
     * {@code IOMMU_HWPT_ALLOC(dev_id, pt_id, flags, data_type NONE)}: a paging HWPT on IOAS {@code ptId}.
     *
     * @param devId the device whose IOMMU the HWPT is for
     * @param ptId  the IOAS
     * @param flags {@code IOMMU_HWPT_ALLOC_*}
     * @return the HWPT's id
     */
    int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags);

    /**
     * {@code VFIO_DEVICE_ATTACH_IOMMUFD_PT(devId, ptId)}: attach (or replace, K-ATT-3) to a HWPT, or to an IOAS
     * (the kernel picks an auto domain, K-ATT-4).
     *
     * @param devId the device
     * @param ptId  a HWPT or an IOAS
     * @return the HWPT id the device is now on
     */
    int attach(int devId, int ptId);

    /**
     * {@code VFIO_DEVICE_DETACH_IOMMUFD_PT(devId)}; a no-op on a device that is not attached.
     *
     * @param devId the device
     */
    void detach(int devId);

    /**
     * {@code IOMMU_HWPT_SET_DIRTY_TRACKING(hwptId, enable ? ENABLE : 0)}.
     *
     * @param hwptId the HWPT
     * @param enable on or off
     */
    void setDirtyTracking(int hwptId, boolean enable);

    /**
     * {@code IOMMU_HWPT_GET_DIRTY_BITMAP}: ORs the dirty bits of {@code [iova, iova + length)} at
     * {@code pageSize} into {@code into} (bit i stands for {@code iova + i * pageSize}; the kernel only sets
     * bits, K-GDB-6). Without {@code noClear} the bits read are cleared in the HWPT.
     *
     * @param hwptId   the HWPT
     * @param iova     the range's start
     * @param length   its length in bytes
     * @param pageSize the bitmap's page size
     * @param noClear  {@code IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR}: leave the bits set
     * @param into     the buffer the bits are OR-ed into
     * @throws IllegalArgumentException before the call when {@code into} has fewer bits than the range has
     *                                  pages (for a page size of zero the kernel's EINVAL is returned instead)
     */
    void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear, DirtyBitmap into);

    /**
     * {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START}: device (VF) dirty tracking.
     *
     * @param devId    the device
     * @param ranges   the IOVA ranges to track
     * @param pageSize the tracking granule
     */
    void dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize);

    /**
     * {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP}.
     *
     * @param devId the device
     */
    void dmaLoggingStop(int devId);

    /**
     * {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT}: ORs the device's dirty log into {@code into}, clearing it.
     *
     * @param devId    the device
     * @param iova     the range's start
     * @param length   its length in bytes
     * @param pageSize the bitmap's page size
     * @param into     the buffer the bits are OR-ed into
     */
    void dmaLoggingReport(int devId, long iova, long length, long pageSize, DirtyBitmap into);

    /**
     * The devices this backend can see.
     *
     * @return references to give to {@link #bind} (may be empty)
     */
    List<String> deviceRefs();

    /**
     * Making devices from a spec, if this backend can.
     *
     * @return the ability, or empty
     */
    default Optional<DeviceProvisioning> provisioning() {
        return Optional.empty();
    }

    /**
     * Simulating device DMA writes, if this backend can.
     *
     * @return the ability, or empty
     */
    default Optional<DmaSimulation> dmaSimulation() {
        return Optional.empty();
    }

    /**
     * Injecting failures and counting calls, if this backend can.
     *
     * @return the ability, or empty
     */
    default Optional<FaultInjection> faultInjection() {
        return Optional.empty();
    }

    /**
     * Listing the objects alive in the backend, if this backend can.
     *
     * @return the ability, or empty
     */
    default Optional<ObjectInventory> inventory() {
        return Optional.empty();
    }

    /** Closes the iommufd and every device and fd the backend opened; destroys what it made. */
    @Override
    void close();
}
