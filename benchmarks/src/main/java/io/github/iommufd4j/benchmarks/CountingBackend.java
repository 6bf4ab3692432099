package io.github.iommufd4j.benchmarks;

import io.github.iommufd4j.api.BackendOp;
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
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

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
    /** Calls per operation, by {@link BackendOp#ordinal()}. */
    private final long[] perOp = new long[BackendOp.values().length];

    CountingBackend(IommufdBackend delegate) {
        super(delegate);
        this.delegate = delegate;
    }


    @Override
    public int ioasAlloc() {
        count(BackendOp.IOAS_ALLOC);
        return delegate.ioasAlloc();
    }

    @Override
    public void ioasMap(int ioasId, long iova, long length) {
        count(BackendOp.IOAS_MAP);
        delegate.ioasMap(ioasId, iova, length);
    }

    @Override
    public void ioasUnmap(int ioasId, long iova, long length) {
        count(BackendOp.IOAS_UNMAP);
        delegate.ioasUnmap(ioasId, iova, length);
    }

    @Override
    public void destroy(int id) {
        count(BackendOp.DESTROY);
        delegate.destroy(id);
    }

    @Override
    public BoundDevice bind(String deviceRef) {
        count(BackendOp.BIND);
        return delegate.bind(deviceRef);
    }

    @Override
    public void unbind(int devId) {
        count(BackendOp.UNBIND);
        delegate.unbind(devId);
    }

    @Override
    public HostIommuDevice getHwInfo(int devId) {
        count(BackendOp.GET_HW_INFO);
        return delegate.getHwInfo(devId);
    }

    @Override
    public int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
        count(BackendOp.HWPT_ALLOC);
        return delegate.hwptAlloc(devId, ptId, flags);
    }

    @Override
    public int attach(int devId, int ptId) {
        count(BackendOp.ATTACH);
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
        count(BackendOp.DETACH);
        delegate.detach(devId);
    }

    @Override
    public void setDirtyTracking(int hwptId, boolean enable) {
        count(BackendOp.SET_DIRTY_TRACKING);
        delegate.setDirtyTracking(hwptId, enable);
    }

    @Override
    public void getDirtyBitmap(int hwptId, long iova, long length, long pageSize, boolean noClear, DirtyBitmap into) {
        count(BackendOp.GET_DIRTY_BITMAP);
        delegate.getDirtyBitmap(hwptId, iova, length, pageSize, noClear, into);
    }

    @Override
    public void dmaLoggingStart(int devId, List<IovaRange> ranges, long pageSize) {
        count(BackendOp.DMA_LOGGING_START);
        delegate.dmaLoggingStart(devId, ranges, pageSize);
    }

    @Override
    public void dmaLoggingStop(int devId) {
        count(BackendOp.DMA_LOGGING_STOP);
        delegate.dmaLoggingStop(devId);
    }

    @Override
    public void dmaLoggingReport(int devId, long iova, long length, long pageSize, DirtyBitmap into) {
        count(BackendOp.DMA_LOGGING_REPORT);
        delegate.dmaLoggingReport(devId, iova, length, pageSize, into);
    }

    private void count(BackendOp op) {
        calls++;
        perOp[op.ordinal()]++;
    }

    /** Calls per operation so far (operations never called left out). */
    Map<BackendOp, Long> perOp() {
        Map<BackendOp, Long> out = new EnumMap<>(BackendOp.class);
        for (BackendOp op : BackendOp.values()) {
            if (perOp[op.ordinal()] != 0) {
                out.put(op, perOp[op.ordinal()]);
            }
        }
        return out;
    }
}
