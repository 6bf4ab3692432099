package io.github.iommufd4j.qemulab;

import io.github.iommufd4j.api.BackendCall;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.RecordingBackend;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The api's {@link RecordingBackend}, writing into a {@link LabLog} instead of keeping the calls: every kernel call
 * made through it, in order, with its arguments named as core's recorded calls name them ({@code devId},
 * {@code ptId}, {@code iova} and {@code length} as {@code 0x} hex, ...), the outputs of a successful call, and the
 * errno of a failed one. It adds what the lab compares beyond that: {@code outDirtyPages}, the bits set in the
 * bitmap after a dirty-bitmap query or DMA log report, with {@code outRuns}, those bits as runs
 * {@code first:count,...} in pages from the query's IOVA, when there are any; and the facts the backend interface
 * cannot carry (the read-only flag of a map), which the scripted kernel gives with {@link #withExtras}.
 * Abilities (provisioning, DMA, faults, inventory) pass through unrecorded.
 */
public final class RecordingLabBackend extends RecordingBackend {
    private final LabLog log;
    private final ThreadLocal<Map<String, Object>> extras = new ThreadLocal<>();

    public RecordingLabBackend(IommufdBackend delegate, LabLog log) {
        super(delegate);
        this.log = log;
    }

    /** Extra arguments recorded with the next call made by this thread (after the call's own arguments). */
    public RecordingLabBackend withExtras(Map<String, Object> extra) {
        extras.set(new LinkedHashMap<>(extra));
        return this;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    @Override
    protected void recorded(BackendCall call, DirtyBitmap bitmap, IommufdException failure) {
        Map<String, Object> args = new LinkedHashMap<>(call.args());
        if (bitmap != null && failure == null) {
            args.put("outDirtyPages", bitmap.cardinality());
            if (bitmap.cardinality() > 0) {
                StringBuilder runs = new StringBuilder();
                bitmap.forEachRun((first, count) -> runs.append(runs.length() == 0 ? "" : ",").append(first)
                        .append(':').append(count));
                args.put("outRuns", runs.toString());
            }
        }
        Map<String, Object> extra = extras.get();
        extras.remove();
        if (extra != null) {
            args.putAll(extra);
        }
        log.add(LabEntry.Kind.BACKEND, call.op().name(), args, call.flags(),
                failure == null ? "ok" : LabLog.result(failure.errno(), failure.errnoNumber()));
    }
}
