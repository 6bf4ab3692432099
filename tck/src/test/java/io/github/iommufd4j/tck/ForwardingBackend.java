package io.github.iommufd4j.tck;

import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.FaultInjection;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.api.ObjectInventory;
import io.github.iommufd4j.backend.mock.MockBackend;
import java.util.List;
import java.util.Optional;

/** A backend passing every call and ability to a {@link MockBackend}; broken variants override one call. */
abstract class ForwardingBackend implements IommufdBackend {
    protected final MockBackend delegate;

    ForwardingBackend(MockBackend delegate) {
        this.delegate = delegate;
    }

    @Override
    public String providerName() {
        return "broken-" + delegate.providerName();
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
