package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/** {@code struct vfio_device_bind_iommufd} and {@code VFIO_DEVICE_BIND_IOMMUFD} (6.6; 16 bytes without a token). */
public final class VfioBind {
    public static final int REQUEST = IoctlNumber.io(IoctlNumber.VFIO_BASE + 18);
    public static final int SIZE = 16;
    public static final int OFF_ARGSZ = 0;
    public static final int OFF_FLAGS = 4;
    public static final int OFF_IOMMUFD = 8;
    public static final int OFF_OUT_DEVID = 12;

    private VfioBind() {
    }

    /** Binds the device to the iommufd {@code iommufd}. */
    public static NativeStruct encode(int iommufd) {
        return new NativeStruct("vfio_device_bind_iommufd", SIZE).putInt(OFF_ARGSZ, SIZE).putInt(OFF_IOMMUFD, iommufd);
    }

    /** {@code out_devid}. */
    public static int outDevId(NativeStruct s) {
        return s.getInt(OFF_OUT_DEVID);
    }
}
