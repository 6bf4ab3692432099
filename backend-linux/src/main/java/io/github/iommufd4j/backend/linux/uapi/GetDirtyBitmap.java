package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/** {@code struct iommu_hwpt_get_dirty_bitmap} and {@code IOMMU_HWPT_GET_DIRTY_BITMAP}. */
public final class GetDirtyBitmap {
    public static final int REQUEST = IoctlNumber.io(0x8c);
    public static final int SIZE = 48;
    public static final int OFF_SIZE = 0;
    public static final int OFF_HWPT_ID = 4;
    public static final int OFF_FLAGS = 8;
    public static final int OFF_RESERVED = 12;
    public static final int OFF_IOVA = 16;
    public static final int OFF_LENGTH = 24;
    public static final int OFF_PAGE_SIZE = 32;
    public static final int OFF_DATA = 40;
    /** {@code IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR}. */
    public static final int FLAG_NO_CLEAR = 1;

    private GetDirtyBitmap() {
    }

    /** Reads the dirty bits of {@code [iova, iova + length)} into the bitmap at {@code data}. */
    public static NativeStruct encode(int hwptId, long iova, long length, long pageSize, boolean noClear, long data) {
        return new NativeStruct("iommu_hwpt_get_dirty_bitmap", SIZE)
                .putInt(OFF_SIZE, SIZE).putInt(OFF_HWPT_ID, hwptId).putInt(OFF_FLAGS, noClear ? FLAG_NO_CLEAR : 0)
                .putLong(OFF_IOVA, iova).putLong(OFF_LENGTH, length).putLong(OFF_PAGE_SIZE, pageSize)
                .putLong(OFF_DATA, data);
    }
}
