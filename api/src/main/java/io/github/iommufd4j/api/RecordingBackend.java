package io.github.iommufd4j.api;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A backend decorator that records every kernel call made through it, in order, with its result. Used by the
 * simulator for the report's {@code calls}, and by tests that assert the calls a rule makes. Abilities are
 * passed through unrecorded (they are the simulator's, not QEMU's). Thread-safe.
 */
public final class RecordingBackend extends ForwardingIommufdBackend {
    private final List<BackendCall> calls = new ArrayList<>();

    /**
     * A recorder of {@code delegate}'s calls.
     *
     * @param delegate the backend calls go to
     */
    public RecordingBackend(IommufdBackend delegate) {
        super(delegate);
    }

    /**
     * The calls recorded since the last drain; forgets them.
     *
     * @return the calls, in order
     */
    public synchronized List<BackendCall> drain() {
        List<BackendCall> out = List.copyOf(calls);
        calls.clear();
        return out;
    }

    /** Arguments in call order: {@code args("devId", 3, "ptId", 5)}. */
    private static Map<String, Object> args(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private <T> T record(BackendOp op, Map<String, Object> args, FlagSet<HwptAllocFlag> flags, String output,
                         Supplier<T> call) {
        try {
            T result = call.get();
            if (output != null) {
                args.put(output, result instanceof BoundDevice b ? b.devId() : result);
            }
            add(new BackendCall(op, args, flags, null));
            return result;
        } catch (IommufdException e) {
            add(new BackendCall(op, args, flags, e.errno()));
            throw e;
        }
    }

    private void recordVoid(BackendOp op, Map<String, Object> args, Runnable call) {
        record(op, args, null, null, () -> {
            call.run();
            return null;
        });
    }

    private synchronized void add(BackendCall c) {
        calls.add(c);
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
        recordVoid(BackendOp.GET_DIRTY_BITMAP, args("hwptId", hwptId, "iova", hex(iova), "length", hex(length),
                "pageSize", pageSize, "noClear", noClear),
                () -> delegate().getDirtyBitmap(hwptId, iova, length, pageSize, noClear, into));
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
        recordVoid(BackendOp.DMA_LOGGING_REPORT, args("devId", devId, "iova", hex(iova), "length", hex(length),
                "pageSize", pageSize), () -> delegate().dmaLoggingReport(devId, iova, length, pageSize, into));
    }
}
