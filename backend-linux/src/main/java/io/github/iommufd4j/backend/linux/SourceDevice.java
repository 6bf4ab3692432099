package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.IovaRange;

import java.util.List;

/**
 * A device a {@link DeviceSource} bound to the iommufd, with the calls whose form depends on the source. Every
 * method is one kernel call (or, where the source has no such call, the errno a device without it answers) and
 * throws the {@link io.github.iommufd4j.api.IommufdException} of that call; arguments are already checked.
 */
interface SourceDevice {

    /** What {@code bind} returned. */
    BoundDevice info();

    /** What kind of kernel device this is. */
    SourceKind kind();

    /** Attaches (or replaces, K-ATT-3) to IOAS or HWPT {@code ptId}; returns the HWPT the device is now on (K-ATT-4). */
    int attach(int ptId);

    /** Detaches; a device that is not attached stays so (K-DETACH). */
    void detach();

    /** Unbinds and closes the device: 0, or the errno of the call that failed (the device is then still bound). */
    int release();

    /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START} over {@code ranges}. */
    void dmaLoggingStart(List<IovaRange> ranges, long pageSize);

    /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP}. */
    void dmaLoggingStop();

    /**
     * {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT} into a buffer of {@code words} words (sized from the
     * request and checked against {@code into} before this call), OR-ed into {@code into}.
     */
    void dmaLoggingReport(long iova, long length, long pageSize, long words, DirtyBitmap into);
}
