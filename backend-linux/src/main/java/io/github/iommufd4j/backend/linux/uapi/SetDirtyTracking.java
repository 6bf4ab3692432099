package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/** {@code struct iommu_hwpt_set_dirty_tracking} and {@code IOMMU_HWPT_SET_DIRTY_TRACKING}. */
public final class SetDirtyTracking {
    public static final int REQUEST = IoctlNumber.io(0x8b);
    public static final int SIZE = 16;
    public static final int OFF_SIZE = 0;
    public static final int OFF_FLAGS = 4;
    public static final int OFF_HWPT_ID = 8;
    public static final int OFF_RESERVED = 12;
    /** {@code IOMMU_HWPT_DIRTY_TRACKING_ENABLE}. */
    public static final int FLAG_ENABLE = 1;

    private SetDirtyTracking() {
    }

    /** Switches dirty tracking of {@code hwptId} on or off. */
    public static NativeStruct encode(int hwptId, boolean enable) {
        return new NativeStruct("iommu_hwpt_set_dirty_tracking", SIZE)
                .putInt(OFF_SIZE, SIZE).putInt(OFF_FLAGS, enable ? FLAG_ENABLE : 0).putInt(OFF_HWPT_ID, hwptId);
    }
}
