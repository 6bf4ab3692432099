package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.IovaRange;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An IOAS: its mapped areas (K-MAP, K-UNMAP), the HWPTs (domains) on it in the order they came, and the mdevs
 * using it as an iommufd access. What the areas may be once domains or accesses are on it is {@link DomainRules}'.
 */
final class Ioas extends MockObject {
    /** One area per successful IOAS_MAP, kept with its own bounds: unmap removes whole areas only. */
    final IovaIntervals areas = new IovaIntervals();
    final List<Hwpt> hwpts = new ArrayList<>();
    final Set<Device> accesses = new LinkedHashSet<>();

    Ioas(int id) {
        super(id);
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
