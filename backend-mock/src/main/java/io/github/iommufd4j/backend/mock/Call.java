package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdException;

/**
 * The kernel call being checked, for its failures: {@code OP(args) failed: ERRNO - why}.
 *
 * @param op   the operation
 * @param args its arguments as {@link io.github.iommufd4j.api.CallArguments} writes them
 */
record Call(BackendOp op, String args) {

    /** The failure of this call with {@code errno}; {@code why} says which check refused it. */
    IommufdException fail(Errno errno, String why) {
        return new IommufdException(op, args, errno, errno.number(), why);
    }
}
