package io.github.iommufd4j.benchmarks;

import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.ForwardingIommufdBackend;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import java.util.List;

/**
 * A backend decorator that counts kernel calls with two plain fields, so that counting costs an increment
 * and allocates nothing inside a measured loop ({@code core.RecordingBackend} keeps a record object per call,
 * which would grow without bound over a benchmark iteration). {@link #probes} counts attaches that answered
 * EINVAL: the HWPT probes of Q-ATT-2 that found an incompatible HWPT. Single-threaded use only.
 */
final class CountingBackend extends ForwardingIommufdBackend {
    private final IommufdBackend delegate;
    /** Every kernel call made through this decorator, failed ones included. */
    long calls;
    /** ATTACH calls that failed with EINVAL. */
    long probes;

    CountingBackend(IommufdBackend delegate) {
        super(delegate);
        this.delegate = delegate;
    }


    @Override
    public int ioasAlloc() {
        calls++;
        return delegate.ioasAlloc();
    }

    @Override
    public void ioasMap(int ioasId, long iova, long length) {
        calls++;
        delegate.ioasMap(ioasId, iova, length);
    }

    @Override
    public void ioasUnmap(int ioasId, long iova, long length) {
        calls++;
        delegate.ioasUnmap(ioasId, iova, length);
    }

    @Override
    public void destroy(int id) {
        calls++;
        delegate.destroy(id);
    }

    @Override
    public BoundDevice bind(String deviceRef) {
        calls++;
        return delegate.bind(deviceRef);
    }

    @Override
    public void unbind(int devId) {
        calls++;
        delegate.unbind(devId);
    }

    @Override
    public HostIommuDevice getHwInfo(int devId) {
        calls++;
        return delegate.getHwInfo(devId);
    }

    @Override
    public int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
        calls++;
        return delegate.hwptAlloc(devId, ptId, flags);
    }

    @Override
    public int attach(int devId, int ptId) {
        calls++;
        try {
            return delegate.attach(devId, ptId);
        } catch (IommufdException e) {
            if (e.errno() == Errno.EINVAL) {
                probes++;
            }
            throw e;
        }
    }

    @Override
    public void detach(int devId) {
        calls++;
        delegate.detach(devId);
    }

    @Override
    public void setDirtyTracking(int hwptId, boolean enable) {
        calls++;
        delegate.setDirtyTracking(hwptId, enable);
    }

    @Override
    public void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear, DirtyBitmap into) {
        calls++;
        delegate.getDirtyBitmap(hwptId, iova, length, pageSize, noClear, into);
    }

    @Override
    public void dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize) {
        calls++;
        delegate.dmaLoggingStart(devId, ranges, pageSize);
    }

    @Override
    public void dmaLoggingStop(int devId) {
        calls++;
        delegate.dmaLoggingStop(devId);
    }

    @Override
    public void dmaLoggingReport(int devId, long iova, long length, long pageSize, DirtyBitmap into) {
        calls++;
        delegate.dmaLoggingReport(devId, iova, length, pageSize, into);
    }


}
