package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.IovaRange;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * An IOAS: its mapped areas (K-MAP, K-UNMAP), the HWPTs (domains) on it in the order they came, and the mdevs
 * using it as an iommufd access. What the areas may be once domains or accesses are on it is {@link DomainRules}'.
 */
final class Ioas extends MockObject {
    /** One area per successful IOAS_MAP, kept with its own bounds: unmap removes whole areas only. */
    final IovaIntervals areas = new IovaIntervals();
    /** The HWPTs on it in the order they came (read-only: {@link #hwptAdded}, {@link #hwptRemoved}). */
    final Set<Hwpt> hwpts;
    private final Set<Hwpt> hwptSet = new LinkedHashSet<>();
    /**
     * Kept as HWPTs come and go, so no call walks every domain of the IOAS: how many HWPTs have each IOPTE size,
     * and each aperture start and end (unsigned), for the alignment and the apertures' intersection.
     */
    private final TreeMap<Long, Integer> iopteSizes = new TreeMap<>();
    private final TreeMap<Long, Integer> apertureStarts = new TreeMap<>(Long::compareUnsigned);
    private final TreeMap<Long, Integer> apertureLasts = new TreeMap<>(Long::compareUnsigned);
    final Set<Device> accesses = new LinkedHashSet<>();

    Ioas(int id) {
        super(id);
        hwpts = Collections.unmodifiableSet(hwptSet);
    }

    /** {@code h} joined the IOAS (it is listed last). */
    void hwptAdded(Hwpt h) {
        if (hwptSet.add(h)) {
            iopteSizes.merge(h.iommu.iopteSize(), 1, Integer::sum);
            apertureStarts.merge(h.iommu.apertureStart(), 1, Integer::sum);
            apertureLasts.merge(h.iommu.apertureLast(), 1, Integer::sum);
        }
    }

    /** {@code h} left the IOAS. */
    void hwptRemoved(Hwpt h) {
        if (hwptSet.remove(h)) {
            decrement(iopteSizes, h.iommu.iopteSize());
            decrement(apertureStarts, h.iommu.apertureStart());
            decrement(apertureLasts, h.iommu.apertureLast());
        }
    }

    private static void decrement(TreeMap<Long, Integer> counts, long key) {
        counts.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
    }

    /** The largest IOPTE size of its HWPTs, 1 without any. */
    long largestIopte() {
        return iopteSizes.isEmpty() ? 1 : iopteSizes.lastKey();
    }

    /** Whether {@code [first, last]} lies inside the aperture of every HWPT on the IOAS. */
    boolean insideEveryAperture(long first, long last) {
        return hwptSet.isEmpty() || (Long.compareUnsigned(first, apertureStarts.lastKey()) >= 0
                && Long.compareUnsigned(last, apertureLasts.firstKey()) <= 0);
    }

    /** The lowest area meeting {@code [first, last]}, or null. */
    IovaRange firstAreaMeeting(long first, long last) {
        List<IovaRange> meeting = areas.overlapping(first, last);
        return meeting.isEmpty() ? null : meeting.get(0);
    }

    @Override
    BackendObject.Type type() {
        return BackendObject.Type.IOAS;
    }

    @Override
    String describe() {
        return "IOAS " + id;
    }
}
