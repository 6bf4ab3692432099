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
    /** The kernel selftest mock's aperture start, 16 MiB. */
    public static final long MOCK_APERTURE_START = 1L << 24;
    /** The kernel selftest mock's aperture end, 2 GiB - 1. */
    public static final long MOCK_APERTURE_LAST = (1L << 31) - 1;
    /** The kernel selftest mock's IOPTE size on a 4 KiB host. */
    public static final long MOCK_IOPTE_SIZE = 2048;

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
     * An IOMMU with the kernel selftest mock's aperture and IOPTE size.
     *
     * @param id            unique name of the instance
     * @param family        its family
     * @param dirtyTracking reports dirty tracking
     * @param nestParent    accepts NEST_PARENT
     * @return the spec
     */
    public static IommuSpec of(String id, String family, boolean dirtyTracking, boolean nestParent) {
        return new IommuSpec(id, family, dirtyTracking, nestParent, MOCK_APERTURE_START, MOCK_APERTURE_LAST, MOCK_IOPTE_SIZE);
    }
}
