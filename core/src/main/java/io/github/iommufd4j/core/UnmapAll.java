package io.github.iommufd4j.core;

import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import java.util.ArrayList;
import java.util.List;

/**
 * How a container unmaps its whole IOVA space, which QEMU does when a memory section of 2^64 bytes leaves the
 * container: a vIOMMU's IOMMU memory region ({@code vfio_listener_region_del} with {@code unmap_all}). A section that
 * no mapping backs answers {@code ENOENT}, which QEMU's {@code iommufd_backend_unmap_dma} takes as success in every
 * version. See {@code docs/reference/qemu-rules.md}, Q-EV-9.
 */
public enum UnmapAll {
    /**
     * QEMU 9.1 and 10.0: the listener unmaps the two halves {@code [0, 2^63)} and {@code [2^63, 2^64)}, the second
     * even when the first failed (each failure is reported).
     */
    TWO_HALVES {
        @Override
        List<IommufdException> unmap(IommufdBackend backend, int ioasId) {
            List<IommufdException> failures = new ArrayList<>();
            collect(failures, () -> backend.ioasUnmap(ioasId, 0, HALF));
            collect(failures, () -> backend.ioasUnmap(ioasId, HALF, HALF));
            return failures;
        }
    },

    /**
     * QEMU 10.1: 9458d9b4dc "vfio: implement unmap all for DMA unmap callbacks" moves the halves into the iommufd
     * backend's unmap, which unmaps the second half only when the first succeeded. (A QEMU detail on the way to
     * Q-EV-9, not a row of its own.)
     */
    TWO_HALVES_UNTIL_FAILURE {
        @Override
        List<IommufdException> unmap(IommufdBackend backend, int ioasId) {
            List<IommufdException> failures = new ArrayList<>();
            collect(failures, () -> backend.ioasUnmap(ioasId, 0, HALF));
            if (failures.isEmpty()) {
                collect(failures, () -> backend.ioasUnmap(ioasId, HALF, HALF));
            }
            return failures;
        }
    },

    /**
     * Q-EV-9 (QEMU 10.2): b30823e561 "vfio/iommufd: Support unmap all in one ioctl()": one
     * {@code IOMMU_IOAS_UNMAP(iova 0, length U64_MAX)}, which the kernel reads as "everything".
     */
    ONE_CALL {
        @Override
        List<IommufdException> unmap(IommufdBackend backend, int ioasId) {
            List<IommufdException> failures = new ArrayList<>();
            collect(failures, () -> backend.ioasUnmap(ioasId, 0, U64_MAX));
            return failures;
        }
    };

    /** 2^63, half of the 64-bit IOVA space (a negative {@code long}, read unsigned by the backend). */
    static final long HALF = Long.MIN_VALUE;
    /** {@code U64_MAX}: with iova 0, the kernel's "unmap everything". */
    static final long U64_MAX = -1L;

    /** Unmaps everything from {@code ioasId}; returns the failures (ENOENT is none), in call order. */
    abstract List<IommufdException> unmap(IommufdBackend backend, int ioasId);

    private static void collect(List<IommufdException> failures, Runnable call) {
        try {
            call.run();
        } catch (IommufdException e) {
            if (e.errno() != Errno.ENOENT) {
                failures.add(e);
            }
        }
    }
}
