package io.github.iommufd4j.api;

import java.util.List;

/**
 * How the arguments of a backend call read in an {@link IommufdException} message, one method per
 * {@link BackendOp}: {@code HWPT_ALLOC(dev 3, ioas 1, [DIRTY_TRACKING])}. A backend and a decorator in front
 * of it ({@link FaultInjectingBackend}) that both use these name a call the same way, whichever of them fails it.
 * Addresses, lengths and page sizes are {@code 0x} hex, ids decimal.
 */
public final class CallArguments {
    private CallArguments() {
    }

    /**
     * {@code IOAS_MAP} and {@code IOAS_UNMAP}: {@code "ioas 1, iova 0x1000000, length 0x400000"}.
     *
     * @param ioasId the IOAS
     * @param iova   the range's start
     * @param length its length
     * @return the arguments as messages write them
     */
    public static String ioasRange(int ioasId, long iova, long length) {
        return "ioas " + ioasId + ", iova " + hex(iova) + ", length " + hex(length);
    }

    /**
     * {@code DESTROY}: {@code "id 4"}.
     *
     * @param id the object
     * @return the arguments as messages write them
     */
    public static String destroy(int id) {
        return "id " + id;
    }

    /**
     * {@code UNBIND}, {@code GET_HW_INFO}, {@code DETACH}, {@code DMA_LOGGING_STOP}: {@code "dev 3"}.
     *
     * @param devId the device
     * @return the arguments as messages write them
     */
    public static String device(int devId) {
        return "dev " + devId;
    }

    /**
     * {@code HWPT_ALLOC}: {@code "dev 3, ioas 1, [DIRTY_TRACKING]"}.
     *
     * @param devId the device
     * @param ptId  the IOAS
     * @param flags the allocation flags
     * @return the arguments as messages write them
     */
    public static String hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
        return "dev " + devId + ", ioas " + ptId + ", " + flags;
    }

    /**
     * {@code ATTACH}: {@code "dev 3, pt 5"}.
     *
     * @param devId the device
     * @param ptId  the HWPT or IOAS
     * @return the arguments as messages write them
     */
    public static String attach(int devId, int ptId) {
        return "dev " + devId + ", pt " + ptId;
    }

    /**
     * {@code SET_DIRTY_TRACKING}: {@code "hwpt 5, enable"} or {@code "hwpt 5, disable"}.
     *
     * @param hwptId the HWPT
     * @param enable on or off
     * @return the arguments as messages write them
     */
    public static String setDirtyTracking(int hwptId, boolean enable) {
        return "hwpt " + hwptId + ", " + (enable ? "enable" : "disable");
    }

    /**
     * {@code GET_DIRTY_BITMAP}: {@code "hwpt 5, iova 0x1000000, length 0x400000, page 0x1000, NO_CLEAR"}.
     *
     * @param hwptId   the HWPT
     * @param iova     the range's start
     * @param length   its length
     * @param pageSize the bitmap's page size
     * @param noClear  NO_CLEAR
     * @return the arguments as messages write them
     */
    public static String getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear) {
        return "hwpt " + hwptId + ", iova " + hex(iova) + ", length " + hex(length) + ", page " + hex(pageSize)
                + (noClear ? ", NO_CLEAR" : "");
    }

    /**
     * {@code DMA_LOGGING_START}: {@code "dev 3, 2 range(s), page 0x1000"}.
     *
     * @param devId    the device
     * @param ranges   the ranges tracked
     * @param pageSize the tracking granule
     * @return the arguments as messages write them
     */
    public static String dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize) {
        return "dev " + devId + ", " + ranges.size() + " range(s), page " + hex(pageSize);
    }

    /**
     * {@code DMA_LOGGING_REPORT}: {@code "dev 3, iova 0x1000000, length 0x400000, page 0x1000"}.
     *
     * @param devId    the device
     * @param iova     the range's start
     * @param length   its length
     * @param pageSize the bitmap's page size
     * @return the arguments as messages write them
     */
    public static String dmaLoggingReport(int devId, long iova, long length, long pageSize) {
        return "dev " + devId + ", iova " + hex(iova) + ", length " + hex(length) + ", page " + hex(pageSize);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
