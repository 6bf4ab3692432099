package io.github.iommufd4j.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * One backend call as {@link RecordingBackend} saw it.
 *
 * @param op     the operation
 * @param args   its arguments in call order, named as the kernel's struct fields in camel case ({@code devId},
 *               {@code ptId}, {@code hwptId}, {@code iova}, {@code enable}, ...), then what it returned on
 *               success ({@code outIoasId}, {@code outHwptId}, {@code outDevId}); ids and sizes are numbers,
 *               addresses and lengths {@code 0x} hex strings
 * @param flags  the allocation flags of a {@code HWPT_ALLOC}, else null
 * @param result null when the call succeeded, else its errno
 */
public record BackendCall(BackendOp op, Map<String, Object> args, FlagSet<HwptAllocFlag> flags, Errno result) {

    /**
     * A call; the arguments are copied.
     *
     * @param op     the operation
     * @param args   its arguments, then its outputs on success
     * @param flags  the allocation flags of a {@code HWPT_ALLOC}, else null
     * @param result null when the call succeeded, else its errno
     */
    public BackendCall {
        args = Collections.unmodifiableMap(new LinkedHashMap<>(args));
    }

    /**
     * Whether the call succeeded.
     *
     * @return true when {@link #result()} is null
     */
    public boolean ok() {
        return result == null;
    }

    /**
     * The arguments (not the outputs) as in messages, plus the flags of an allocation.
     *
     * @return {@code "devId 3, ptId 1, [DIRTY_TRACKING]"}
     */
    public String arguments() {
        StringJoiner j = new StringJoiner(", ");
        args.forEach((k, v) -> {
            if (!k.startsWith("out")) {
                j.add(k + " " + v);
            }
        });
        if (flags != null) {
            j.add(flags.toString());
        }
        return j.toString();
    }

    /** {@code "HWPT_ALLOC(devId 3, ptId 1, [DIRTY_TRACKING]) = ok"}. */
    @Override
    public String toString() {
        return op + "(" + arguments() + ") = " + (result == null ? "ok" : result.name());
    }
}
