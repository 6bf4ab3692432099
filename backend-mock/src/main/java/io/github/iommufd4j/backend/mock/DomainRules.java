package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IovaRange;

/**
 * What the domains (HWPTs) of an IOAS and the devices on them require of each other, as {@code io_pagetable.c}
 * and the IOMMU drivers decide it: compatibility of a device with a domain (K-ATT-2), the IOAS alignment, the
 * apertures, and whether a new domain fits the areas already mapped (K-ALLOC-7). Rule ids are those of
 * {@code docs/reference/kernel-uapi.md}.
 */
final class DomainRules {
    /** The host page size the mock assumes (the kernel's {@code PAGE_SIZE} on x86-64). */
    static final long HOST_PAGE_SIZE = 4096;

    private DomainRules() {
    }

    /**
     * K-ATT-2: why {@code dev} cannot attach to {@code hwpt} (another IOMMU family, or a device whose IOMMU
     * lacks dirty tracking on a DIRTY_TRACKING HWPT), or null when it can.
     */
    static String incompatibility(Hwpt hwpt, Device dev) {
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

    /**
     * The IOAS alignment ({@code iopt->iova_alignment}): the largest IOPTE size of its domains, the host page
     * while an mdev uses it, else 1 (an IOAS without domains maps byte-granular ranges).
     */
    static long alignment(Ioas ioas) {
        return Math.max(ioas.accesses.isEmpty() ? 1 : HOST_PAGE_SIZE, ioas.largestIopte());
    }

    /** K-MAP: a range outside the aperture of any domain of the IOAS is reserved: EINVAL. */
    static void requireInsideApertures(Call call, Ioas ioas, long first, long last) {
        if (ioas.insideEveryAperture(first, last)) {
            return;
        }
        for (Hwpt h : ioas.hwpts) { // the failing one, for the message
            if (!insideAperture(h.iommu, first, last)) {
                throw call.fail(Errno.EINVAL, "the range is reserved: outside the aperture " + aperture(h.iommu)
                        + " of HWPT " + h.id + " (IOMMU " + h.iommu.id() + ")");
            }
        }
    }

    /**
     * What {@code iopt_table_add_domain} checks when a domain of {@code iommu} joins {@code ioas}: its IOPTE size
     * may not exceed the host page (EINVAL); the areas already mapped must suit the new alignment and lie inside
     * the new aperture (EADDRINUSE, K-ALLOC-7).
     */
    static void requireDomainFits(Call call, IommuSpec iommu, Ioas ioas) {
        if (iommu.iopteSize() > HOST_PAGE_SIZE) {
            throw call.fail(Errno.EINVAL, "the IOPTE size " + hex(iommu.iopteSize()) + " of IOMMU " + iommu.id()
                    + " exceeds the host page size " + hex(HOST_PAGE_SIZE));
        }
        long newAlignment = Math.max(alignment(ioas), iommu.iopteSize());
        IovaRange misaligned = firstMisalignedArea(ioas, newAlignment);
        if (misaligned != null) {
            throw call.fail(Errno.EADDRINUSE, "the mapped area " + range(misaligned)
                    + " is not aligned to the IOPTE size " + hex(newAlignment) + " of IOMMU " + iommu.id());
        }
        for (IovaRange area : ioas.areas.all()) {
            if (!insideAperture(iommu, area.iova(), area.last())) {
                throw call.fail(Errno.EADDRINUSE, "the mapped area " + range(area)
                        + " lies outside the aperture " + aperture(iommu) + " of IOMMU " + iommu.id());
            }
        }
    }

    /**
     * An mdev joining {@code ioas} needs every area aligned to the host page (or the IOAS alignment, when
     * larger): EADDRINUSE otherwise, as {@code iopt_add_access} answers.
     */
    static void requireAccessFits(Call call, Ioas ioas) {
        long needed = Math.max(alignment(ioas), HOST_PAGE_SIZE);
        IovaRange misaligned = firstMisalignedArea(ioas, needed);
        if (misaligned != null) {
            throw call.fail(Errno.EADDRINUSE, "the mapped area " + range(misaligned)
                    + " is not aligned to the page size " + hex(needed) + " an mdev needs");
        }
    }

    private static IovaRange firstMisalignedArea(Ioas ioas, long alignment) {
        for (IovaRange area : ioas.areas.all()) {
            if ((area.iova() & (alignment - 1)) != 0 || ((area.last() + 1) & (alignment - 1)) != 0) {
                return area;
            }
        }
        return null;
    }

    private static boolean insideAperture(IommuSpec iommu, long first, long last) {
        return Long.compareUnsigned(first, iommu.apertureStart()) >= 0
                && Long.compareUnsigned(last, iommu.apertureLast()) <= 0;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    static String range(long first, long last) {
        return "[" + hex(first) + ", " + hex(last) + "]";
    }

    static String range(IovaRange r) {
        return range(r.iova(), r.last());
    }

    private static String aperture(IommuSpec iommu) {
        return range(iommu.apertureStart(), iommu.apertureLast());
    }
}
