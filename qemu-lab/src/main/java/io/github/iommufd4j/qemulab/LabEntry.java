package io.github.iommufd4j.qemulab;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HwptAllocFlag;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * One line of a lab run's log, in the order things happened.
 *
 * @param seq    position in the log, from 0
 * @param kind   who answered or did it
 * @param op     for {@link Kind#BACKEND} a {@link BackendOp} name; for {@link Kind#KERNEL} the scripted kernel's
 *               name of the call ({@code GET_REGION_INFO}, {@code MIG_DEVICE_STATE}, {@code IOVA_RANGES}, ...);
 *               for {@link Kind#LAB} what the lab did ({@code QMP}, {@code QMP_RETURN}, {@code QMP_EVENT}, ...)
 * @param args   the arguments in call order; for backend calls named as core's recorded calls are
 *               ({@code devId}, {@code ptId}, {@code ioasId}, {@code iova} as {@code 0x} hex, ...), then the
 *               outputs of a successful call ({@code outDevId}, {@code outIoasId}, {@code outHwptId}), then the
 *               lab's extra facts ({@code readOnly} of an {@code IOAS_MAP}, ...)
 * @param flags  the allocation flags of a {@code HWPT_ALLOC}, else null
 * @param result {@code "ok"}, or the errno name ({@code "EINVAL"}), or {@code "errno N"} for an unlisted one;
 *               for {@link Kind#LAB} entries {@code "ok"} or a short failure text
 * @param micros microseconds since the log was made
 */
public record LabEntry(long seq, Kind kind, String op, Map<String, Object> args, FlagSet<HwptAllocFlag> flags,
                       String result, long micros) {

    /** Who answered a call, or what kind of line this is. */
    public enum Kind {
        /** A call QEMU made that went to the backend (the mock), recorded by the recording decorator. */
        BACKEND,
        /** A call QEMU made that the scripted kernel answered itself (PCI plumbing, migration feature, ranges). */
        KERNEL,
        /** Something the lab did or saw: QMP commands, their returns, QMP events, injected DMA. */
        LAB,
        /** A call the scripted kernel does not know, or a protocol error: a lab run should have none. */
        ERROR
    }

    public LabEntry {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(result, "result");
        args = Collections.unmodifiableMap(new LinkedHashMap<>(args));
    }

    /** Whether the call succeeded. */
    public boolean ok() {
        return "ok".equals(result);
    }

    /** The errno of a failed call, or null when it succeeded or the result is not an errno. */
    public Errno errno() {
        return ok() ? null : Errno.ofName(result).orElse(null);
    }

    /** Whether this is a backend call of {@code op}. */
    public boolean is(BackendOp backendOp) {
        return kind == Kind.BACKEND && op.equals(backendOp.name());
    }

    /** Whether this is an entry of this kind and op. */
    public boolean is(Kind k, String name) {
        return kind == k && op.equals(name);
    }

    /** An argument, or null. */
    public Object arg(String name) {
        return args.get(name);
    }

    /** The arguments without the outputs and the lab's extras, as {@code "devId 1, ptId 2"}, then the flags. */
    public String arguments() {
        StringJoiner j = new StringJoiner(", ");
        args.forEach((k, v) -> j.add(k + " " + v));
        if (flags != null) {
            j.add(flags.toString());
        }
        return j.toString();
    }

    /** {@code "HWPT_ALLOC(devId 1, ptId 2, [DIRTY_TRACKING]) = ok"}. */
    @Override
    public String toString() {
        return op + "(" + arguments() + ") = " + result;
    }
}
