package io.github.iommufd4j.api;

/** A backend ability: a device writing guest memory, as its DMA would. */
public interface DmaSimulation {

    /**
     * Device {@code devId} writes {@code [iova, iova + length)}. Marks the written pages dirty in the HWPT the
     * device is attached to when dirty tracking is enabled there and the pages are mapped (K-SDT-4), and in
     * the device's DMA log while DMA logging runs.
     *
     * @param devId  the device's id
     * @param iova   the first address written
     * @param length how many bytes
     * @return the number of IOMMU page-table entries marked dirty
     */
    long dmaWrite(int devId, long iova, long length);
}
