package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.CallArguments;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.backend.linux.sys.NativeStruct;
import io.github.iommufd4j.backend.linux.uapi.IommuDestroy;
import io.github.iommufd4j.backend.linux.uapi.IommuTestCmd;

import java.util.List;

/**
 * A device of the kernel's selftest mock, made by {@link SelftestSource#bind}. The mock has no VFIO fd: attach is
 * {@code IOMMU_TEST_CMD MOCK_DOMAIN_REPLACE(stdev, pt)}, detach a replace back onto the source's parking IOAS (so
 * nothing of the caller's stays referenced; the auto domain there is the kernel's and never recorded), and unbind
 * destroys the selftest device through its stdev id (destroying the idev id is EBUSY). It has no VFIO device
 * features, so DMA logging answers ENOTTY as a device without them does.
 */
final class SelftestDevice implements SourceDevice {
    private final KernelCalls kernel;
    private final SelftestSource source;
    private final int stdevId;
    private final BoundDevice info;

    SelftestDevice(KernelCalls kernel, SelftestSource source, int stdevId, BoundDevice info) {
        this.kernel = kernel;
        this.source = source;
        this.stdevId = stdevId;
        this.info = info;
    }

    @Override
    public BoundDevice info() {
        return info;
    }

    @Override
    public SourceKind kind() {
        return SourceKind.SELFTEST;
    }

    @Override
    public int attach(int ptId) {
        NativeStruct s = IommuTestCmd.mockDomainReplace(stdevId, ptId);
        kernel.call(BackendOp.ATTACH, CallArguments.attach(info.devId(), ptId), IommuTestCmd.REQUEST, s);
        return IommuTestCmd.replacePtId(s);
    }

    /** A replace onto the parking IOAS; idempotent. */
    @Override
    public void detach() {
        kernel.call(BackendOp.DETACH, CallArguments.device(info.devId()), IommuTestCmd.REQUEST,
                IommuTestCmd.mockDomainReplace(stdevId, source.parkingIoas()));
    }

    @Override
    public int release() {
        return kernel.sys.ioctl(kernel.iommufd, IommuDestroy.REQUEST, IommuDestroy.encode(stdevId));
    }

    @Override
    public void dmaLoggingStart(List<IovaRange> ranges, long pageSize) {
        throw noVfioFeatures(BackendOp.DMA_LOGGING_START, CallArguments.dmaLoggingStart(info.devId(), ranges, pageSize));
    }

    @Override
    public void dmaLoggingStop() {
        throw noVfioFeatures(BackendOp.DMA_LOGGING_STOP, CallArguments.device(info.devId()));
    }

    @Override
    public void dmaLoggingReport(long iova, long length, long pageSize, long words, DirtyBitmap into) {
        throw noVfioFeatures(BackendOp.DMA_LOGGING_REPORT, CallArguments.dmaLoggingReport(info.devId(), iova, length, pageSize));
    }

    private IommufdException noVfioFeatures(BackendOp op, String args) {
        return new IommufdException(op, args, Errno.ENOTTY, Errno.ENOTTY.number(),
                "a selftest mock device has no VFIO device features" + (info.features().dmaLogging()
                        ? " (its VF dirty tracking is only declared: vfLogging=declared)" : ""));
    }
}
