package io.github.iommufd4j.core;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HwptAllocFlag;

/**
 * One backend call as {@link RecordingBackend} saw it.
 *
 * @param op        the operation
 * @param arguments its arguments, formatted ({@code "dev 3, ioas 1"})
 * @param flags     the allocation flags of a {@code HWPT_ALLOC}, else null
 * @param result    null when the call succeeded, else its errno
 */
public record BackendCall(BackendOp op, String arguments, FlagSet<HwptAllocFlag> flags, Errno result) {
    /** Whether the call succeeded. */
    public boolean ok() {
        return result == null;
    }

    /** {@code "HWPT_ALLOC(dev 3, ioas 1, [DIRTY_TRACKING]) = ok"}. */
    @Override
    public String toString() {
        return op + "(" + arguments + ") = " + (result == null ? "ok" : result.name());
    }
}
