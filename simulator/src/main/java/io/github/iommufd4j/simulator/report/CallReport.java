package io.github.iommufd4j.simulator.report;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One backend call a step made.
 *
 * @param op     the backend operation ({@code HWPT_ALLOC}; {@link io.github.iommufd4j.api.BackendOp} names)
 * @param flags  for {@code HWPT_ALLOC} only: the {@code IOMMU_HWPT_ALLOC_*} names without prefix, in bit order;
 *               null for every other operation
 * @param result {@code "ok"} or the errno name
 * @param args   the call's arguments and outputs as extra keys (the format allows them), in call order: ids as
 *               numbers ({@code devId}, {@code ptId}, {@code hwptId}, {@code ioasId}, {@code id}, and the outputs
 *               {@code outIoasId}, {@code outHwptId}, {@code outDevId}), addresses and lengths as {@code 0x} hex
 *               strings, {@code enable} and {@code noClear} as booleans, {@code device} the device's name; in
 *               JSON they follow {@code result} as keys of the call ({@code @JsonAnyGetter})
 */
public record CallReport(String op, @JsonInclude(JsonInclude.Include.NON_NULL) List<String> flags, String result,
                         @JsonAnyGetter @JsonAnySetter Map<String, Object> args) {
    private static final Set<String> RESERVED = Set.of("op", "flags", "result");
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
        Map<String, Object> copy = new LinkedHashMap<>();
        if (args != null) {
            args.forEach((k, v) -> {
                if (RESERVED.contains(k)) {
                    throw new IllegalArgumentException("call argument '" + k + "' would hide the report's own key");
                }
                if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                    copy.put(k, ((Number) v).longValue()); // one integral type, so equal reports compare equal
                } else if (v instanceof String || v instanceof Boolean) {
                    copy.put(k, v);
                } else {
                    throw new IllegalArgumentException("call argument " + k + " = " + v
                            + " is not an integer, a string or a boolean");
                }
            });
        }
        args = Collections.unmodifiableMap(copy);
    }

    /** A call without arguments. */
    public CallReport(String op, List<String> flags, String result) {
        this(op, flags, result, Map.of());
    }

    /** A call without flags or arguments (any operation but {@code HWPT_ALLOC}). */
    public static CallReport of(String op, String result) {
        return new CallReport(op, null, result);
    }

    /** Whether the call succeeded. */
    public boolean isOk() {
        return OK.equals(result);
    }
}
