package io.github.iommufd4j.api;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A backend that passes every call and ability to another: the base of decorators (call recording, counting,
 * invariant checks, deliberately broken variants for the TCK's self-test). Override what the decorator changes.
 */
public abstract class ForwardingIommufdBackend implements IommufdBackend {
    private final IommufdBackend delegate;

    /**
     * A decorator of {@code delegate}.
     *
     * @param delegate the backend every call goes to
     */
    protected ForwardingIommufdBackend(IommufdBackend delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /**
     * The backend calls go to.
     *
     * @return the delegate
     */
    public IommufdBackend delegate() {
        return delegate;
    }

    @Override
    public String providerName() {
        return delegate.providerName();
    }

    @Override
    public int ioasAlloc() {
        return delegate.ioasAlloc();
    }

    @Override
    public void ioasMap(int ioasId, long iova, long length) {
        delegate.ioasMap(ioasId, iova, length);
    }

    @Override
    public void ioasUnmap(int ioasId, long iova, long length) {
        delegate.ioasUnmap(ioasId, iova, length);
    }

    @Override
    public void destroy(int id) {
        delegate.destroy(id);
    }

    @Override
    public BoundDevice bind(String deviceRef) {
        return delegate.bind(deviceRef);
    }

    @Override
    public void unbind(int devId) {
        delegate.unbind(devId);
    }

    @Override
    public HostIommuDevice getHwInfo(int devId) {
        return delegate.getHwInfo(devId);
    }

    @Override
    public int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
        return delegate.hwptAlloc(devId, ptId, flags);
    }

    @Override
    public int attach(int devId, int ptId) {
        return delegate.attach(devId, ptId);
    }

    @Override
    public void detach(int devId) {
        delegate.detach(devId);
    }

    @Override
    public void setDirtyTracking(int hwptId, boolean enable) {
        delegate.setDirtyTracking(hwptId, enable);
    }

    @Override
    public void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear, DirtyBitmap into) {
        delegate.getDirtyBitmap(hwptId, iova, length, pageSize, noClear, into);
    }

    @Override
    public void dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize) {
        delegate.dmaLoggingStart(devId, ranges, pageSize);
    }

    @Override
    public void dmaLoggingStop(int devId) {
        delegate.dmaLoggingStop(devId);
    }

    @Override
    public void dmaLoggingReport(int devId, long iova, long length, long pageSize, DirtyBitmap into) {
        delegate.dmaLoggingReport(devId, iova, length, pageSize, into);
    }

    @Override
    public List<String> deviceRefs() {
        return delegate.deviceRefs();
    }

    @Override
    public Optional<DeviceProvisioning> provisioning() {
        return delegate.provisioning();
    }

    @Override
    public Optional<DmaSimulation> dmaSimulation() {
        return delegate.dmaSimulation();
    }

    @Override
    public Optional<FaultInjection> faultInjection() {
        return delegate.faultInjection();
    }

    @Override
    public Optional<ObjectInventory> inventory() {
        return delegate.inventory();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
