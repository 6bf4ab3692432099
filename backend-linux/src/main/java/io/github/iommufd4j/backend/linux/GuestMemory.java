package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.backend.linux.sys.NativeRegion;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The anonymous memory behind every IOAS mapping this backend made (the guest RAM stand-in of
 * {@code IOAS_MAP}), by IOAS and IOVA, freed when the kernel has let go of it: on unmap (whole areas, K-UNMAP),
 * on destroying the IOAS and on close. Not thread-safe; {@link LinuxBackend} guards it.
 */
final class GuestMemory {
    private record Area(long length, NativeRegion region) {
    }

    private final Map<Integer, TreeMap<Long, Area>> byIoas = new LinkedHashMap<>();

    /** {@code region} now backs {@code [iova, iova + length)} of IOAS {@code ioasId}. */
    void mapped(int ioasId, long iova, long length, NativeRegion region) {
        byIoas.computeIfAbsent(ioasId, k -> new TreeMap<>(Long::compareUnsigned)).put(iova, new Area(length, region));
    }

    /**
     * The kernel unmapped {@code [iova, iova + length)} of IOAS {@code ioasId} ({@code 0, U64_MAX}: everything):
     * frees the memory of every area inside it, as the kernel unmaps whole areas.
     */
    void unmapped(int ioasId, long iova, long length) {
        TreeMap<Long, Area> areas = byIoas.get(ioasId);
        if (areas == null) {
            return;
        }
        long last = length == 0 ? iova : iova + length - 1;
        boolean all = iova == 0 && length == -1L;
        for (Iterator<Map.Entry<Long, Area>> it = areas.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Area> e = it.next();
            long areaLast = e.getKey() + e.getValue().length() - 1;
            if (all || (Long.compareUnsigned(e.getKey(), iova) >= 0 && Long.compareUnsigned(areaLast, last) <= 0)) {
                e.getValue().region().close();
                it.remove();
            }
        }
        if (areas.isEmpty()) {
            byIoas.remove(ioasId);
        }
    }

    /** Frees everything; returns what could not be freed. */
    List<String> freeAll() {
        List<String> problems = new ArrayList<>();
        for (TreeMap<Long, Area> areas : byIoas.values()) {
            for (Area a : areas.values()) {
                try {
                    a.region().close();
                } catch (RuntimeException e) {
                    problems.add("freeing guest memory: " + e.getMessage());
                }
            }
        }
        byIoas.clear();
        return problems;
    }
}
