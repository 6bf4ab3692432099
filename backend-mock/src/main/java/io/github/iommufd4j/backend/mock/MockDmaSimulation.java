package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.IovaRange;

/**
 * The mock's {@link DmaSimulation} (the twin of backend-linux's {@code SelftestDmaSimulation}): a device writes
 * guest memory, and the {@link DirtyLog} sees it. Thread-safe through the kernel's monitor.
 */
final class MockDmaSimulation implements DmaSimulation {
    private static final long U64_MAX = -1L;

    private final MockKernel kernel;
    private final ObjectTable objects;
    private final DirtyLog dirty;

    MockDmaSimulation(MockKernel kernel, ObjectTable objects, DirtyLog dirty) {
        this.kernel = kernel;
        this.objects = objects;
        this.dirty = dirty;
    }

    /**
     * Device {@code devId} writes {@code [iova, iova + length)}. Only mapped IOVAs are written (the rest would
     * fault in the IOMMU). The written IOPTEs of the device's HWPT are marked dirty when tracking is enabled
     * there (K-SDT-4); the written pages enter the device's DMA log, within its ranges, while logging runs. A
     * device that is not attached is blocked from DMA: nothing happens and 0 is returned.
     *
     * @return the number of IOPTEs marked dirty in the HWPT (0 for an mdev, or with tracking off)
     * @throws IllegalArgumentException when {@code devId} is not a bound device
     */
    @Override
    public long dmaWrite(int devId, long iova, long length) {
        synchronized (kernel) {
            kernel.ensureOpen();
            Device dev = objects.device(devId);
            if (dev == null) {
                throw new IllegalArgumentException("dmaWrite: " + objects.describeMissing(devId, "a bound device"));
            }
            Ioas ioas = dev.reachableIoas();
            if (ioas == null || length == 0) {
                return 0;
            }
            long last = iova + length - 1;
            if (Long.compareUnsigned(last, iova) < 0) {
                last = U64_MAX;
            }
            long marked = 0;
            for (IovaRange area : ioas.areas.overlapping(iova, last)) {
                long first = Long.compareUnsigned(area.iova(), iova) >= 0 ? area.iova() : iova;
                long end = Long.compareUnsigned(area.last(), last) <= 0 ? area.last() : last;
                if (dev.hwpt != null) {
                    marked += dirty.markWritten(dev.hwpt, first, end);
                }
                dirty.logWritten(dev, first, end);
            }
            return marked;
        }
    }
}
