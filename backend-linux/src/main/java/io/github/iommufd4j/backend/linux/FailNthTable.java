package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which errno the kernel gives when the N-th fault point of one call is failed with fail-nth: the table measured
 * on Linux 6.12.117 by the kernel lab ({@code kernel-lab/README.md}, "Kernel-made failures: fail-nth", asserted
 * by {@code FailNthKernelIT}), reduced to the fault points whose errno does not depend on the state (how much is
 * mapped, how the pinned pages are laid out) and read the other way round: for a call and an errno, the fault
 * point that makes the kernel fail it with that errno.
 *
 * <p>Calls on {@code /dev/iommu} that name no device are the same whatever the source; calls of a device depend
 * on its {@link SourceKind}. What is not here the kernel cannot make (ENOMEM from SET_DIRTY_TRACKING, which
 * allocates nothing; EBUSY from an attach; EIO from GET_DIRTY_BITMAP; any failure of IOMMU_DESTROY or of an
 * unbind) or the lab has not measured (every call of a PCI device behind a real IOMMU, DMA logging).
 */
final class FailNthTable {
    private static final Map<BackendOp, Map<Errno, Integer>> ANY_DEVICE = new EnumMap<>(BackendOp.class);
    private static final Map<SourceKind, Map<BackendOp, Map<Errno, Integer>>> BY_KIND = new EnumMap<>(SourceKind.class);

    static {
        // /dev/iommu calls without a device: the object lookup is always fault point 1 (ENOENT).
        put(ANY_DEVICE, BackendOp.IOAS_ALLOC, Errno.ENOMEM, 1);                          // the IOAS object
        put(ANY_DEVICE, BackendOp.IOAS_MAP, Errno.ENOENT, 1);                            // IOAS lookup
        put(ANY_DEVICE, BackendOp.IOAS_MAP, Errno.ENOMEM, 2);                            // iopt_alloc_pages
        put(ANY_DEVICE, BackendOp.IOAS_UNMAP, Errno.ENOENT, 1);                          // IOAS lookup
        put(ANY_DEVICE, BackendOp.SET_DIRTY_TRACKING, Errno.ENOENT, 1);                  // HWPT lookup, its only point
        put(ANY_DEVICE, BackendOp.GET_DIRTY_BITMAP, Errno.ENOENT, 1);                    // HWPT lookup
        put(ANY_DEVICE, BackendOp.GET_DIRTY_BITMAP, Errno.ENOMEM, 2);                    // iova_bitmap_alloc, before any bit is read
        Map<BackendOp, Map<Errno, Integer>> mock = new EnumMap<>(BackendOp.class);
        put(mock, BackendOp.BIND, Errno.ENOMEM, 1);                                      // MOCK_DOMAIN_FLAGS: the selftest object
        put(mock, BackendOp.GET_HW_INFO, Errno.ENOENT, 1);                               // device lookup
        put(mock, BackendOp.GET_HW_INFO, Errno.ENOMEM, 2);                               // mock_domain_hw_info
        put(mock, BackendOp.HWPT_ALLOC, Errno.ENOENT, 1);                                // dev_id lookup
        put(mock, BackendOp.HWPT_ALLOC, Errno.EINVAL, 2);                                // pt_id lookup (K-ALLOC-4's EINVAL)
        put(mock, BackendOp.HWPT_ALLOC, Errno.ENOMEM, 3);                                // the HWPT object
        put(mock, BackendOp.ATTACH, Errno.ENOENT, 1);                                    // MOCK_DOMAIN_REPLACE: stdev lookup
        put(mock, BackendOp.ATTACH, Errno.EINVAL, 3);                                    // reserved regions
        put(mock, BackendOp.ATTACH, Errno.ENOMEM, 4);                                    // iommu_attach_handle_get
        put(mock, BackendOp.DETACH, Errno.ENOENT, 1);                                    // replace to parking: stdev lookup
        BY_KIND.put(SourceKind.SELFTEST, mock);
        Map<BackendOp, Map<Errno, Integer>> mdev = new EnumMap<>(BackendOp.class);
        put(mdev, BackendOp.BIND, Errno.ENOMEM, 1);                                      // the access object
        put(mdev, BackendOp.ATTACH, Errno.ENOENT, 1);                                    // the IOAS lookup, its only point
        BY_KIND.put(SourceKind.MDEV, mdev);
        BY_KIND.put(SourceKind.VFIO_PCI, new EnumMap<>(BackendOp.class));
    }

    private FailNthTable() {
    }

    private static void put(Map<BackendOp, Map<Errno, Integer>> table, BackendOp op, Errno errno, int point) {
        table.computeIfAbsent(op, k -> new LinkedHashMap<>()).put(errno, point);
    }

    /** Every (call, errno) the kernel can make for a device of {@code kind}, with its fault point: the calls without a device too. */
    static Map<BackendOp, Map<Errno, Integer>> rows(SourceKind kind) {
        Map<BackendOp, Map<Errno, Integer>> all = new EnumMap<>(BackendOp.class);
        ANY_DEVICE.forEach((op, row) -> all.put(op, new LinkedHashMap<>(row)));
        BY_KIND.get(kind).forEach((op, row) -> all.put(op, new LinkedHashMap<>(row)));
        return all;
    }

    /** Whether {@code op} names a device (its fault points depend on the device's kind). */
    static boolean deviceCall(BackendOp op) {
        return !ANY_DEVICE.containsKey(op) && op != BackendOp.DESTROY;
    }

    /** The fault point that makes {@code op} of a device of {@code kind} (ignored for calls without a device) fail with {@code errno}. */
    static Optional<Integer> point(BackendOp op, SourceKind kind, Errno errno) {
        Map<Errno, Integer> row = deviceCall(op) ? BY_KIND.get(kind).getOrDefault(op, Map.of()) : ANY_DEVICE.getOrDefault(op, Map.of());
        return Optional.ofNullable(row.get(errno));
    }

    /** What the kernel can make {@code op} fail with, for a device of {@code kind}: {@code ENOMEM (fault point 3), ...} or "nothing". */
    static String makeable(BackendOp op, SourceKind kind) {
        Map<Errno, Integer> row = deviceCall(op) ? BY_KIND.get(kind).getOrDefault(op, Map.of()) : ANY_DEVICE.getOrDefault(op, Map.of());
        return row.isEmpty() ? "nothing" : row.entrySet().stream()
                .map(e -> e.getKey() + " (fault point " + e.getValue() + ")").collect(Collectors.joining(", "));
    }

    /** Why the kernel cannot fail {@code op} with {@code errno}, for messages. */
    static String whyNot(BackendOp op, Errno errno) {
        return switch (op) {
            case SET_DIRTY_TRACKING -> errno == Errno.ENOMEM ? "IOMMU_HWPT_SET_DIRTY_TRACKING allocates nothing: its only"
                    + " fault point is the HWPT lookup (ENOENT)" : "its only fault point is the HWPT lookup (ENOENT)";
            case DESTROY -> "IOMMU_DESTROY has no fault point that fails it";
            case UNBIND -> "an unbind (IOMMU_DESTROY of a mock device, close of a cdev) cannot fail";
            case ATTACH -> errno == Errno.EBUSY ? "no fault point of an attach gives EBUSY" : "no fault point of this attach gives it";
            case GET_DIRTY_BITMAP -> errno == Errno.EIO ? "no fault point of IOMMU_HWPT_GET_DIRTY_BITMAP gives EIO" : "no fault point gives it";
            case DMA_LOGGING_START, DMA_LOGGING_STOP, DMA_LOGGING_REPORT -> "the lab has not measured DMA logging's fault points";
            default -> "no measured fault point gives it";
        };
    }
}
