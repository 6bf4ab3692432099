package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/** {@code struct iommu_ioas_alloc} and {@code IOMMU_IOAS_ALLOC}. */
public final class IoasAlloc {
    public static final int REQUEST = IoctlNumber.io(0x81);
    public static final int SIZE = 12;
    public static final int OFF_SIZE = 0;
    public static final int OFF_FLAGS = 4;
    public static final int OFF_OUT_IOAS_ID = 8;

    private IoasAlloc() {
    }

    /** A new IOAS, flags 0. */
    public static NativeStruct encode() {
        return new NativeStruct("iommu_ioas_alloc", SIZE).putInt(OFF_SIZE, SIZE);
    }

    /** {@code out_ioas_id}. */
    public static int outIoasId(NativeStruct s) {
        return s.getInt(OFF_OUT_IOAS_ID);
    }
}
