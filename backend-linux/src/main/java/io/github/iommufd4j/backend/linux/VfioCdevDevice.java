package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.CallArguments;
import io.github.iommufd4j.api.DeviceFeatures;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.backend.linux.sys.Ioctls;
import io.github.iommufd4j.backend.linux.sys.NativeRegion;
import io.github.iommufd4j.backend.linux.sys.NativeStruct;
import io.github.iommufd4j.backend.linux.uapi.UserBitmap;
import io.github.iommufd4j.backend.linux.uapi.VfioAttach;
import io.github.iommufd4j.backend.linux.uapi.VfioBind;
import io.github.iommufd4j.backend.linux.uapi.VfioDetach;
import io.github.iommufd4j.backend.linux.uapi.VfioFeature;

import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A VFIO cdev ({@code /dev/vfio/devices/vfioN}) bound to the iommufd: the device calls go to its fd
 * ({@code VFIO_DEVICE_ATTACH_IOMMUFD_PT}, {@code _DETACH_}, the DMA logging features of
 * {@code VFIO_DEVICE_FEATURE}) and closing the fd unbinds it. Any source whose devices are VFIO cdevs binds them
 * with {@link #bind}.
 */
final class VfioCdevDevice implements SourceDevice {
    private final KernelCalls kernel;
    private final SourceKind kind;
    private final int fd;
    private final BoundDevice info;

    private VfioCdevDevice(KernelCalls kernel, SourceKind kind, int fd, BoundDevice info) {
        this.kernel = kernel;
        this.kind = kind;
        this.fd = fd;
        this.info = info;
    }

    /**
     * Opens {@code cdev}, sends {@code VFIO_DEVICE_BIND_IOMMUFD} (the devId is {@code out_devid}), probes the
     * device's features and lets {@code describe} name the device from its devId and features. A failed bind,
     * or a {@code describe} that throws (a source refusing the device it found), closes the fd again.
     *
     * @param kind what kind of device the cdev is
     * @param ref  the reference given to {@code bind}, for messages
     */
    static VfioCdevDevice bind(KernelCalls kernel, SourceKind kind, String ref, Path cdev,
                               BiFunction<Integer, DeviceFeatures, BoundDevice> describe) {
        Ioctls sys = kernel.sys;
        int fd = sys.open(cdev.toString(), Ioctls.O_RDWR | Ioctls.O_CLOEXEC);
        if (fd < 0) {
            throw new IommufdException(BackendOp.BIND, ref, Errno.ofNumber(-fd), -fd, "cannot open " + cdev);
        }
        try {
            NativeStruct s = VfioBind.encode(kernel.iommufd);
            kernel.callOn(fd, BackendOp.BIND, ref, VfioBind.REQUEST, s);
            BoundDevice info = describe.apply(VfioBind.outDevId(s), probeFeatures(sys, fd));
            return new VfioCdevDevice(kernel, kind, fd, info);
        } catch (RuntimeException e) {
            sys.close(fd);
            throw e;
        }
    }

    /** VFIO_DEVICE_FEATURE probes: migration (GET, with its P2P flag) and DMA logging (PROBE|SET on START). */
    private static DeviceFeatures probeFeatures(Ioctls sys, int fd) {
        NativeStruct mig = VfioFeature.getMigration();
        boolean migration = sys.ioctl(fd, VfioFeature.REQUEST, mig) == 0;
        boolean p2p = migration && (VfioFeature.migrationFlags(mig) & VfioFeature.MIGRATION_P2P) != 0;
        boolean logging = sys.ioctl(fd, VfioFeature.REQUEST,
                VfioFeature.probe(VfioFeature.FEATURE_DMA_LOGGING_START, VfioFeature.FLAG_SET)) == 0;
        return new DeviceFeatures(migration, logging, p2p);
    }

    @Override
    public BoundDevice info() {
        return info;
    }

    @Override
    public SourceKind kind() {
        return kind;
    }

    @Override
    public int attach(int ptId) {
        NativeStruct s = VfioAttach.encode(ptId);
        kernel.callOn(fd, BackendOp.ATTACH, CallArguments.attach(info.devId(), ptId), VfioAttach.REQUEST, s);
        return VfioAttach.ptId(s);
    }

    @Override
    public void detach() {
        kernel.callOn(fd, BackendOp.DETACH, CallArguments.device(info.devId()), VfioDetach.REQUEST, VfioDetach.encode());
    }

    /** {@code close(fd)}: the kernel unbinds the device. */
    @Override
    public int release() {
        return kernel.sys.close(fd);
    }

    @Override
    public void dmaLoggingStart(List<IovaRange> ranges, long pageSize) {
        String args = CallArguments.dmaLoggingStart(info.devId(), ranges, pageSize);
        try (NativeRegion table = kernel.sys.allocate(Math.max(1, VfioFeature.rangeTableSize(ranges.size())))) {
            VfioFeature.writeRanges(table, ranges);
            kernel.callOn(fd, BackendOp.DMA_LOGGING_START, args, VfioFeature.REQUEST,
                    VfioFeature.dmaLoggingStart(pageSize, ranges.size(), table.address()));
        }
    }

    @Override
    public void dmaLoggingStop() {
        kernel.callOn(fd, BackendOp.DMA_LOGGING_STOP, CallArguments.device(info.devId()), VfioFeature.REQUEST,
                VfioFeature.dmaLoggingStop());
    }

    @Override
    public void dmaLoggingReport(long iova, long length, long pageSize, long words, DirtyBitmap into) {
        String args = CallArguments.dmaLoggingReport(info.devId(), iova, length, pageSize);
        try (NativeRegion bitmap = kernel.sys.allocate(UserBitmap.bufferSize(words))) {
            kernel.callOn(fd, BackendOp.DMA_LOGGING_REPORT, args, VfioFeature.REQUEST,
                    VfioFeature.dmaLoggingReport(iova, length, pageSize, bitmap.address()));
            UserBitmap.orInto(bitmap, words, into);
        }
    }
}
