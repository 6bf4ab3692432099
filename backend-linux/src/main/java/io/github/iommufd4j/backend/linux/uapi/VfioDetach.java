package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/** {@code struct vfio_device_detach_iommufd_pt} and {@code VFIO_DEVICE_DETACH_IOMMUFD_PT}. */
public final class VfioDetach {
    public static final int REQUEST = IoctlNumber.io(IoctlNumber.VFIO_BASE + 20);
    public static final int SIZE = 8;
    public static final int OFF_ARGSZ = 0;
    public static final int OFF_FLAGS = 4;

    private VfioDetach() {
    }

    /** Detaches. */
    public static NativeStruct encode() {
        return new NativeStruct("vfio_device_detach_iommufd_pt", SIZE).putInt(OFF_ARGSZ, SIZE);
    }
}
