package io.github.iommufd4j.api;

import java.util.Objects;

/**
 * An IOMMU instance for a backend that can make devices ({@link DeviceProvisioning}).
 *
 * @param id            unique name of the instance
 * @param family        HWPTs are shared only within one family: an attach across families is EINVAL
 * @param dirtyTracking reports {@link HwCap#DIRTY_TRACKING} (K-ALLOC-6, K-ATT-2)
 * @param nestParent    accepts {@link HwptAllocFlag#NEST_PARENT}
 * @param apertureStart first IOVA the IOMMU translates
 * @param apertureLast  last IOVA the IOMMU translates
 * @param iopteSize     smallest page the IOMMU maps (the IOAS alignment once it is in the IOAS)
 */
public record IommuSpec(String id, String family, boolean dirtyTracking, boolean nestParent, long apertureStart,
                        long apertureLast, long iopteSize) {
    /** The last IOVA: an aperture to it covers the whole 64-bit space. */
    public static final long LAST_IOVA = -1L;
    /** The IOPTE size of {@link #of}: the host page of x86-64 and most arm64 hosts. */
    public static final long HOST_PAGE_SIZE = 4096;

    /**
     * An IOMMU instance.
     *
     * @param id            unique name of the instance
     * @param family        its family
     * @param dirtyTracking reports dirty tracking
     * @param nestParent    accepts NEST_PARENT
     * @param apertureStart first IOVA the IOMMU translates
     * @param apertureLast  last IOVA the IOMMU translates
     * @param iopteSize     smallest page the IOMMU maps, a power of two
     * @throws IllegalArgumentException for an IOPTE size that is not a power of two or an empty aperture
     */
    public IommuSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(family, "family");
        if (iopteSize <= 0 || Long.bitCount(iopteSize) != 1) {
            throw new IllegalArgumentException("IOMMU " + id + ": IOPTE size " + iopteSize + " is not a power of two");
        }
        if (Long.compareUnsigned(apertureLast, apertureStart) < 0) {
            throw new IllegalArgumentException("IOMMU " + id + ": aperture ends before it starts");
        }
    }

    /**
     * An IOMMU that translates the whole 64-bit space with host-page IOPTEs. A backend whose devices sit behind a
     * fixed geometry (the kernel's selftest mock) says so through {@link DeviceProvisioning#iommu}.
     *
     * @param id            unique name of the instance
     * @param family        its family
     * @param dirtyTracking reports dirty tracking
     * @param nestParent    accepts NEST_PARENT
     * @return the spec
     */
    public static IommuSpec of(String id, String family, boolean dirtyTracking, boolean nestParent) {
        return new IommuSpec(id, family, dirtyTracking, nestParent, 0, LAST_IOVA, HOST_PAGE_SIZE);
    }
}
