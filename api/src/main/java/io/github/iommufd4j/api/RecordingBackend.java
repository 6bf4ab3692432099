package io.github.iommufd4j.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A backend decorator that records every kernel call made through it, in order, with its result. Used by the
 * simulator for the report's {@code calls}, and by tests that assert the calls a rule makes. Abilities are
 * passed through unrecorded (they are the simulator's, not QEMU's). Thread-safe.
 *
 * <p>A subclass that sends the calls elsewhere, or adds to what is recorded, overrides {@link #recorded}.
 */
public class RecordingBackend extends ForwardingIommufdBackend {
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
                         Supplier<T> call, DirtyBitmap bitmap) {
        try {
            T result = call.get();
            if (output != null) {
                args.put(output, result instanceof BoundDevice b ? b.devId() : result);
            }
            recorded(new BackendCall(op, args, flags, null), bitmap, null);
            return result;
        } catch (IommufdException e) {
            recorded(new BackendCall(op, args, flags, e.errno()), bitmap, e);
            throw e;
        }
    }

    private <T> T record(BackendOp op, Map<String, Object> args, FlagSet<HwptAllocFlag> flags, String output,
                         Supplier<T> call) {
        return record(op, args, flags, output, call, null);
    }

    private void recordVoid(BackendOp op, Map<String, Object> args, Runnable call) {
        recordBitmap(op, args, call, null);
    }

    private void recordBitmap(BackendOp op, Map<String, Object> args, Runnable call, DirtyBitmap bitmap) {
        record(op, args, null, null, () -> {
            call.run();
            return null;
        }, bitmap);
    }

    /**
     * A call finished (successfully or not), on the thread that made it: by default it is kept for {@link #drain()}.
     *
     * @param call    the call, its arguments and outputs, and its result
     * @param bitmap  for a dirty-bitmap query or a DMA log report, the bitmap after the call; else null
     * @param failure the failure of a failed call (its {@link IommufdException#errnoNumber()} keeps a number that
     *                {@link Errno#UNKNOWN} does not); null for a call that succeeded
     */
    protected void recorded(BackendCall call, DirtyBitmap bitmap, IommufdException failure) {
        synchronized (this) {
            calls.add(call);
        }
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
