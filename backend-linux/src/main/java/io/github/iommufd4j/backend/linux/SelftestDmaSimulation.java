package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.backend.linux.sys.NativeRegion;
import io.github.iommufd4j.backend.linux.sys.NativeStruct;
import io.github.iommufd4j.backend.linux.uapi.IommuTestCmd;
import io.github.iommufd4j.backend.linux.uapi.UserBitmap;

/**
 * The selftest source's {@link DmaSimulation} (the twin of backend-mock's {@code MockDmaSimulation}): a write is
 * {@code IOMMU_TEST_CMD DIRTY} on the HWPT the device is on, at the mock IOPTE size, over the range widened to
 * whole IOPTEs. The kernel marks the IOPTEs of mapped pages and says how many ({@code out_nr_dirty}).
 */
final class SelftestDmaSimulation implements DmaSimulation {
    /** Largest number of mock IOPTEs one simulated DMA write marks. */
    static final long MAX_DMA_WRITE_PAGES = 1L << 30;

    private final KernelCalls kernel;
    private final ObjectTable objects;
    private final SelftestSource source;
    private final Object lock;

    SelftestDmaSimulation(KernelCalls kernel, ObjectTable objects, SelftestSource source, Object lock) {
        this.kernel = kernel;
        this.objects = objects;
        this.source = source;
        this.lock = lock;
    }

    /**
     * Nothing is called (0 is returned) while the device is parked, on an auto domain, or on a HWPT whose
     * tracking this backend did not switch on: nothing would record the write.
     *
     * @throws IllegalArgumentException for a device that is not bound, or a range that overflows or is too long
     * @throws IllegalStateException    when the kernel refuses the DIRTY op
     */
    @Override
    public long dmaWrite(int devId, long iova, long length) {
        synchronized (lock) {
            if (objects.device(devId) == null) {
                throw new IllegalArgumentException("dmaWrite: dev " + devId + " is not a bound selftest device");
            }
            if (length == 0) {
                return 0;
            }
            Integer hwpt = objects.hwptOf(devId);
            if (hwpt == null || !objects.tracking(hwpt)) {
                return 0;
            }
            long page = source.iopteSize();
            long start = iova & -page;
            long end = iova + length;
            long alignedEnd = (end + page - 1) & -page;
            if (Long.compareUnsigned(alignedEnd, start) <= 0) {
                throw new IllegalArgumentException("dmaWrite: range " + KernelCalls.hex(iova) + " + "
                        + KernelCalls.hex(length) + " overflows");
            }
            long pages = Long.divideUnsigned(alignedEnd - start, page);
            if (pages > MAX_DMA_WRITE_PAGES) {
                throw new IllegalArgumentException("dmaWrite: " + pages + " pages is more than " + MAX_DMA_WRITE_PAGES);
            }
            try (NativeRegion bits = kernel.sys.allocate(UserBitmap.bufferSize((pages + 63) >>> 6))) {
                UserBitmap.setFirst(bits, pages);
                NativeStruct s = IommuTestCmd.dirty(hwpt, start, alignedEnd - start, page, bits.address());
                int errno = kernel.sys.ioctl(kernel.iommufd, IommuTestCmd.REQUEST, s);
                if (errno != 0) {
                    throw new IllegalStateException("IOMMU_TEST_CMD DIRTY(hwpt " + hwpt + ", iova " + KernelCalls.hex(start)
                            + ", length " + KernelCalls.hex(alignedEnd - start) + ", page " + page + ") for dev " + devId
                            + " failed: " + KernelCalls.errnoName(errno));
                }
                return IommuTestCmd.dirtyOutNrDirty(s);
            }
        }
    }
}
