package io.github.iommufd4j.api;

/**
 * The backend operations, named as in scenario {@code fault} steps and report {@code calls}
 * ({@code scenario-format.md}). {@link #UNBIND} (closing the device, {@code close(fd)} on a real kernel) is
 * this project's addition: QEMU's detach and rollback end with it.
 */
public enum BackendOp {
    IOAS_ALLOC, IOAS_MAP, IOAS_UNMAP, DESTROY, BIND, UNBIND, GET_HW_INFO, HWPT_ALLOC, ATTACH, DETACH,
    SET_DIRTY_TRACKING, GET_DIRTY_BITMAP, DMA_LOGGING_START, DMA_LOGGING_STOP, DMA_LOGGING_REPORT
}
