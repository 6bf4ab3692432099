package io.github.iommufd4j.core.report;

import java.util.List;
import java.util.Objects;

/**
 * One backend call a step made.
 *
 * @param op     the backend operation ({@code HWPT_ALLOC}; {@link io.github.iommufd4j.api.BackendOp} names)
 * @param flags  for {@code HWPT_ALLOC} only: the {@code IOMMU_HWPT_ALLOC_*} names without prefix, in bit order;
 *               null for every other operation
 * @param result {@code "ok"} or the errno name
 */
public record CallReport(String op, List<String> flags, String result) {
    /** The {@code op} that carries {@code flags}. */
    public static final String HWPT_ALLOC = "HWPT_ALLOC";
    /** The {@code result} of a call that succeeded. */
    public static final String OK = "ok";

    public CallReport {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(result, "result");
        if (HWPT_ALLOC.equals(op)) {
            flags = Lists.copy(flags, "flags of HWPT_ALLOC");
        } else if (flags != null) {
            throw new IllegalArgumentException("flags are reported on HWPT_ALLOC calls only, not on " + op);
        }
    }

    /** A call without flags (any operation but {@code HWPT_ALLOC}). */
    public static CallReport of(String op, String result) {
        return new CallReport(op, null, result);
    }

    /** Whether the call succeeded. */
    public boolean isOk() {
        return OK.equals(result);
    }
}
