package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/** {@code struct vfio_device_attach_iommufd_pt} and {@code VFIO_DEVICE_ATTACH_IOMMUFD_PT} (12 bytes, no PASID). */
public final class VfioAttach {
    public static final int REQUEST = IoctlNumber.io(IoctlNumber.VFIO_BASE + 19);
    public static final int SIZE = 12;
    public static final int OFF_ARGSZ = 0;
    public static final int OFF_FLAGS = 4;
    /** In: the IOAS or HWPT; out: the HWPT the device is on (an auto domain for an IOAS, K-ATT-4). */
    public static final int OFF_PT_ID = 8;

    private VfioAttach() {
    }

    /** Attaches to {@code ptId}. */
    public static NativeStruct encode(int ptId) {
        return new NativeStruct("vfio_device_attach_iommufd_pt", SIZE).putInt(OFF_ARGSZ, SIZE).putInt(OFF_PT_ID, ptId);
    }

    /** The {@code pt_id} written back. */
    public static int ptId(NativeStruct s) {
        return s.getInt(OFF_PT_ID);
    }
}
