package io.github.iommufd4j.qemulab;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.ForwardingIommufdBackend;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A backend decorator that records every kernel call made through it into a {@link LabLog}, in order, with its
 * result: op, arguments named as core's recorded calls name them ({@code devId}, {@code ptId}, {@code ioasId},
 * {@code hwptId}, {@code iova} and {@code length} as {@code 0x} hex, ...), the outputs of a successful call
 * ({@code outDevId}, {@code outIoasId}, {@code outHwptId}, and {@code outDirtyPages}: the bits set in the bitmap
 * after a dirty-bitmap query or DMA log report), and the errno of a failed one. The scripted kernel
 * may add facts the backend interface cannot carry (the read-only flag of a map) with {@link #withExtras}.
 * Abilities (provisioning, DMA, faults, inventory) pass through unrecorded.
 */
public final class RecordingLabBackend extends ForwardingIommufdBackend {
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

    private static Map<String, Object> args(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private <T> T record(BackendOp op, Map<String, Object> args, FlagSet<HwptAllocFlag> flags, String output,
                         Supplier<T> call) {
        return record(op, args, flags, output, call, null);
    }

    private <T> T record(BackendOp op, Map<String, Object> args, FlagSet<HwptAllocFlag> flags, String output,
                         Supplier<T> call, DirtyBitmap reported) {
        Map<String, Object> extra = extras.get();
        extras.remove();
        try {
            T result = call.get();
            if (output != null) {
                args.put(output, result instanceof BoundDevice b ? b.devId() : result);
            }
            if (reported != null) {
                args.put("outDirtyPages", reported.cardinality());
            }
            if (extra != null) {
                args.putAll(extra);
            }
            log.add(LabEntry.Kind.BACKEND, op.name(), args, flags, "ok");
            return result;
        } catch (IommufdException e) {
            if (extra != null) {
                args.putAll(extra);
            }
            log.add(LabEntry.Kind.BACKEND, op.name(), args, flags, LabLog.result(e.errno(), e.errnoNumber()));
            throw e;
        }
    }

    private void recordVoid(BackendOp op, Map<String, Object> args, Runnable call) {
        recordBitmap(op, args, call, null);
    }

    /** A call that ORs into a bitmap: its set bits afterwards are recorded as {@code outDirtyPages}. */
    private void recordBitmap(BackendOp op, Map<String, Object> args, Runnable call, DirtyBitmap into) {
        record(op, args, null, null, () -> {
            call.run();
            return null;
        }, into);
    }

    @Override
    public int ioasAlloc() {
        return record(BackendOp.IOAS_ALLOC, args(), null, "outIoasId", delegate()::ioasAlloc);
    }

    @Override
    public void ioasMap(int ioasId, long iova, long length) {
        recordVoid(BackendOp.IOAS_MAP, args("ioasId", ioasId, "iova", hex(iova), "length", hex(length)),
                () -> delegate().ioasMap(ioasId, iova, length));
    }

    @Override
    public void ioasUnmap(int ioasId, long iova, long length) {
        recordVoid(BackendOp.IOAS_UNMAP, args("ioasId", ioasId, "iova", hex(iova), "length", hex(length)),
                () -> delegate().ioasUnmap(ioasId, iova, length));
    }

    @Override
    public void destroy(int id) {
        recordVoid(BackendOp.DESTROY, args("id", id), () -> delegate().destroy(id));
    }

    @Override
    public BoundDevice bind(String deviceRef) {
        return record(BackendOp.BIND, args("device", deviceRef), null, "outDevId", () -> delegate().bind(deviceRef));
    }

    @Override
    public void unbind(int devId) {
        recordVoid(BackendOp.UNBIND, args("devId", devId), () -> delegate().unbind(devId));
    }

    @Override
    public HostIommuDevice getHwInfo(int devId) {
        return record(BackendOp.GET_HW_INFO, args("devId", devId), null, null, () -> delegate().getHwInfo(devId));
    }

    @Override
    public int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
        return record(BackendOp.HWPT_ALLOC, args("devId", devId, "ptId", ptId), flags, "outHwptId",
                () -> delegate().hwptAlloc(devId, ptId, flags));
    }

    @Override
    public int attach(int devId, int ptId) {
        return record(BackendOp.ATTACH, args("devId", devId, "ptId", ptId), null, null, () -> delegate().attach(devId, ptId));
    }

    @Override
    public void detach(int devId) {
        recordVoid(BackendOp.DETACH, args("devId", devId), () -> delegate().detach(devId));
    }

    @Override
    public void setDirtyTracking(int hwptId, boolean enable) {
        recordVoid(BackendOp.SET_DIRTY_TRACKING, args("hwptId", hwptId, "enable", enable),
                () -> delegate().setDirtyTracking(hwptId, enable));
    }

    @Override
    public void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear, DirtyBitmap into) {
        recordBitmap(BackendOp.GET_DIRTY_BITMAP, args("hwptId", hwptId, "iova", hex(iova), "length", hex(length),
                "pageSize", pageSize, "noClear", noClear),
                () -> delegate().getDirtyBitmap(hwptId, iova, length, pageSize, noClear, into), into);
    }

    @Override
    public void dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize) {
        recordVoid(BackendOp.DMA_LOGGING_START, args("devId", devId, "ranges", ranges.size(), "pageSize", pageSize),
                () -> delegate().dmaLoggingStart(devId, ranges, pageSize));
    }

    @Override
    public void dmaLoggingStop(int devId) {
        recordVoid(BackendOp.DMA_LOGGING_STOP, args("devId", devId), () -> delegate().dmaLoggingStop(devId));
    }

    @Override
    public void dmaLoggingReport(int devId, long iova, long length, long pageSize, DirtyBitmap into) {
        recordBitmap(BackendOp.DMA_LOGGING_REPORT, args("devId", devId, "iova", hex(iova), "length", hex(length),
                "pageSize", pageSize), () -> delegate().dmaLoggingReport(devId, iova, length, pageSize, into), into);
    }
}
