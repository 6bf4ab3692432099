package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/** {@code struct iommu_ioas_map} and {@code IOMMU_IOAS_MAP}. */
public final class IoasMap {
    public static final int REQUEST = IoctlNumber.io(0x85);
    public static final int SIZE = 40;
    public static final int OFF_SIZE = 0;
    public static final int OFF_FLAGS = 4;
    public static final int OFF_IOAS_ID = 8;
    public static final int OFF_RESERVED = 12;
    public static final int OFF_USER_VA = 16;
    public static final int OFF_LENGTH = 24;
    public static final int OFF_IOVA = 32;

    /** {@code IOMMU_IOAS_MAP_FIXED_IOVA}. */
    public static final int FLAG_FIXED_IOVA = 1;
    /** {@code IOMMU_IOAS_MAP_WRITEABLE}. */
    public static final int FLAG_WRITEABLE = 2;
    /** {@code IOMMU_IOAS_MAP_READABLE}. */
    public static final int FLAG_READABLE = 4;

    private IoasMap() {
    }

    /** Maps {@code length} bytes at {@code userVa} to {@code iova}, fixed, readable and writeable. */
    public static NativeStruct encodeFixed(int ioasId, long userVa, long iova, long length) {
        return new NativeStruct("iommu_ioas_map", SIZE)
                .putInt(OFF_SIZE, SIZE)
                .putInt(OFF_FLAGS, FLAG_FIXED_IOVA | FLAG_READABLE | FLAG_WRITEABLE)
                .putInt(OFF_IOAS_ID, ioasId)
                .putLong(OFF_USER_VA, userVa)
                .putLong(OFF_LENGTH, length)
                .putLong(OFF_IOVA, iova);
    }
}
