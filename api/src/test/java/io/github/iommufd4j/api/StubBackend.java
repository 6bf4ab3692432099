package io.github.iommufd4j.api;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A backend for decorator tests: it records every call that reaches it, answers with fixed values, fails the
 * operations it is told to with their errno, and offers an inventory (empty) but no other ability.
 */
final class StubBackend implements IommufdBackend {
    final List<BackendOp> reached = new ArrayList<>();
    final Map<BackendOp, Errno> failing = new EnumMap<>(BackendOp.class);
    boolean closed;

    private void reach(BackendOp op) {
        if (closed) {
            throw new IllegalStateException("stub closed");
        }
        reached.add(op);
        Errno e = failing.get(op);
        if (e != null) {
            throw new IommufdException(op, "stub", e);
        }
    }

    @Override
    public String providerName() {
        return "stub";
    }

    @Override
    public int ioasAlloc() {
        reach(BackendOp.IOAS_ALLOC);
        return 1;
    }

    @Override
    public void ioasMap(int ioasId, long iova, long length) {
        reach(BackendOp.IOAS_MAP);
    }

    @Override
    public void ioasUnmap(int ioasId, long iova, long length) {
        reach(BackendOp.IOAS_UNMAP);
    }

    @Override
    public void destroy(int id) {
        reach(BackendOp.DESTROY);
    }

    @Override
    public BoundDevice bind(String deviceRef) {
        reach(BackendOp.BIND);
        return new BoundDevice(2, deviceRef, false, new DeviceFeatures(false, false, false), null, null);
    }

    @Override
    public void unbind(int devId) {
        reach(BackendOp.UNBIND);
    }

    @Override
    public HostIommuDevice getHwInfo(int devId) {
        reach(BackendOp.GET_HW_INFO);
        return new HostIommuDevice("dev", HwInfoType.SELFTEST.code(), HwCap.setOf(), new byte[0]);
    }

    @Override
    public int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
        reach(BackendOp.HWPT_ALLOC);
        return 3;
    }

    @Override
    public int attach(int devId, int ptId) {
        reach(BackendOp.ATTACH);
        return ptId;
    }

    @Override
    public void detach(int devId) {
        reach(BackendOp.DETACH);
    }

    @Override
    public void setDirtyTracking(int hwptId, boolean enable) {
        reach(BackendOp.SET_DIRTY_TRACKING);
    }

    @Override
    public void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear, DirtyBitmap into) {
        reach(BackendOp.GET_DIRTY_BITMAP);
    }

    @Override
    public void dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize) {
        reach(BackendOp.DMA_LOGGING_START);
    }

    @Override
    public void dmaLoggingStop(int devId) {
        reach(BackendOp.DMA_LOGGING_STOP);
    }

    @Override
    public void dmaLoggingReport(int devId, long iova, long length, long pageSize, DirtyBitmap into) {
        reach(BackendOp.DMA_LOGGING_REPORT);
    }

    @Override
    public List<String> deviceRefs() {
        return List.of("dev");
    }

    @Override
    public Optional<ObjectInventory> inventory() {
        return Optional.of(List::of);
    }

    @Override
    public void close() {
        closed = true;
    }
}
