package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/**
 * {@code struct iommu_hwpt_alloc} and {@code IOMMU_HWPT_ALLOC}. A paging HWPT needs no driver data and no
 * fault queue, so the struct is sent with its first 24 bytes (the 6.6 layout, still accepted by every newer
 * kernel; {@code flags} is read from 6.7 on). The tail fields are named for the layout proof.
 */
public final class HwptAlloc {
    public static final int REQUEST = IoctlNumber.io(0x89);
    /** The bytes this backend sends. */
    public static final int SIZE = 24;
    /** {@code sizeof(struct iommu_hwpt_alloc)} in 6.11 and later. */
    public static final int FULL_SIZE = 48;
    public static final int OFF_SIZE = 0;
    public static final int OFF_FLAGS = 4;
    public static final int OFF_DEV_ID = 8;
    public static final int OFF_PT_ID = 12;
    public static final int OFF_OUT_HWPT_ID = 16;
    public static final int OFF_RESERVED = 20;
    public static final int OFF_DATA_TYPE = 24;
    public static final int OFF_DATA_LEN = 28;
    public static final int OFF_DATA_UPTR = 32;
    public static final int OFF_FAULT_ID = 40;
    public static final int OFF_RESERVED2 = 44;

    private HwptAlloc() {
    }

    /** A paging HWPT on IOAS {@code ptId} for device {@code devId} with {@code flags}. */
    public static NativeStruct encode(int devId, int ptId, int flags) {
        return new NativeStruct("iommu_hwpt_alloc", SIZE)
                .putInt(OFF_SIZE, SIZE).putInt(OFF_FLAGS, flags).putInt(OFF_DEV_ID, devId).putInt(OFF_PT_ID, ptId);
    }

    /** {@code out_hwpt_id}. */
    public static int outHwptId(NativeStruct s) {
        return s.getInt(OFF_OUT_HWPT_ID);
    }
}
