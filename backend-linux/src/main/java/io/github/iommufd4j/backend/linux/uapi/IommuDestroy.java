package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/** {@code struct iommu_destroy} and {@code IOMMU_DESTROY}. */
public final class IommuDestroy {
    public static final int REQUEST = IoctlNumber.io(0x80);
    public static final int SIZE = 8;
    public static final int OFF_SIZE = 0;
    public static final int OFF_ID = 4;

    private IommuDestroy() {
    }

    /** Destroy object {@code id}. */
    public static NativeStruct encode(int id) {
        return new NativeStruct("iommu_destroy", SIZE).putInt(OFF_SIZE, SIZE).putInt(OFF_ID, id);
    }
}
