package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/**
 * {@code struct iommu_hw_info} and {@code IOMMU_GET_HW_INFO}. Sent with 40 bytes, up to
 * {@code out_capabilities} (6.7+).
 */
public final class HwInfo {
    public static final int REQUEST = IoctlNumber.io(0x8a);
    public static final int SIZE = 40;
    public static final int OFF_SIZE = 0;
    public static final int OFF_FLAGS = 4;
    public static final int OFF_DEV_ID = 8;
    /** In: the buffer size; out: the kernel's length of driver data (may exceed the buffer, K-HWI-3). */
    public static final int OFF_DATA_LEN = 12;
    public static final int OFF_DATA_UPTR = 16;
    public static final int OFF_OUT_DATA_TYPE = 24;
    /**
     * {@code out_max_pasid_log2} ({@code __u8}, PASID width): the first byte of what docs/reference/kernel-uapi.md lists as a
     * 4-byte {@code __reserved@28}; Debian's 6.12.117 headers already carry it (found by the layout proof).
     */
    public static final int OFF_OUT_MAX_PASID_LOG2 = 28;
    /** {@code __u8 __reserved[3]}, after {@code out_max_pasid_log2}. */
    public static final int OFF_RESERVED = 29;
    public static final int OFF_OUT_CAPABILITIES = 32;

    private HwInfo() {
    }

    /** Reads the IOMMU behind {@code devId} into a buffer of {@code dataLen} bytes at {@code dataUptr}. */
    public static NativeStruct encode(int devId, int dataLen, long dataUptr) {
        return new NativeStruct("iommu_hw_info", SIZE)
                .putInt(OFF_SIZE, SIZE).putInt(OFF_DEV_ID, devId).putInt(OFF_DATA_LEN, dataLen)
                .putLong(OFF_DATA_UPTR, dataUptr);
    }

    /** The kernel's driver data length. */
    public static int dataLen(NativeStruct s) {
        return s.getInt(OFF_DATA_LEN);
    }

    /** {@code out_data_type}. */
    public static int outDataType(NativeStruct s) {
        return s.getInt(OFF_OUT_DATA_TYPE);
    }

    /** {@code out_capabilities}. */
    public static long outCapabilities(NativeStruct s) {
        return s.getLong(OFF_OUT_CAPABILITIES);
    }
}
