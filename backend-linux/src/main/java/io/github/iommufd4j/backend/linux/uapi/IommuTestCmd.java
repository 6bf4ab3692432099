package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/**
 * {@code struct iommu_test_cmd} and {@code IOMMU_TEST_CMD} of the kernel's selftest mock
 * ({@code CONFIG_IOMMUFD_TEST}, {@code drivers/iommu/iommufd/iommufd_test.h}). Union member offsets are from the
 * start of the struct.
 */
public final class IommuTestCmd {
    public static final int REQUEST = IoctlNumber.io(IoctlNumber.IOMMUFD_CMD_BASE + 32);
    public static final int SIZE = 72;
    public static final int OFF_SIZE = 0;
    public static final int OFF_OP = 4;
    public static final int OFF_ID = 8;
    public static final int OFF_RESERVED = 12;
    public static final int OFF_UNION = 16;
    public static final int OFF_LAST = 64;

    public static final int OP_MOCK_DOMAIN = 2;
    public static final int OP_MOCK_DOMAIN_REPLACE = 10;
    public static final int OP_MOCK_DOMAIN_FLAGS = 12;
    public static final int OP_DIRTY = 13;

    /** {@code mock_domain} / {@code mock_domain_flags}. */
    public static final int MD_OFF_OUT_STDEV_ID = 16;
    public static final int MD_OFF_OUT_HWPT_ID = 20;
    public static final int MD_OFF_OUT_IDEV_ID = 24;
    public static final int MD_OFF_DEV_FLAGS = 28;
    /** {@code MOCK_FLAGS_DEVICE_NO_DIRTY}. */
    public static final int MOCK_FLAGS_DEVICE_NO_DIRTY = 1;

    /** {@code mock_domain_replace}. */
    public static final int REPLACE_OFF_PT_ID = 16;

    /** {@code dirty}. */
    public static final int DIRTY_OFF_FLAGS = 16;
    public static final int DIRTY_OFF_IOVA = 24;
    public static final int DIRTY_OFF_LENGTH = 32;
    public static final int DIRTY_OFF_PAGE_SIZE = 40;
    public static final int DIRTY_OFF_UPTR = 48;
    public static final int DIRTY_OFF_OUT_NR_DIRTY = 56;

    /** {@code IOMMU_HW_INFO_TYPE_SELFTEST}. */
    public static final int HW_INFO_TYPE_SELFTEST = 0xfeedbeef;

    private IommuTestCmd() {
    }

    /** A command with only {@code op} and {@code id} set. */
    public static NativeStruct op(int op, int id) {
        return new NativeStruct("iommu_test_cmd", SIZE).putInt(OFF_SIZE, SIZE).putInt(OFF_OP, op).putInt(OFF_ID, id);
    }

    /** {@code MOCK_DOMAIN_FLAGS}: a mock device attached to {@code ptId}, with {@code devFlags}. */
    public static NativeStruct mockDomainFlags(int ptId, int devFlags) {
        return op(OP_MOCK_DOMAIN_FLAGS, ptId).putInt(MD_OFF_DEV_FLAGS, devFlags);
    }

    /** {@code MOCK_DOMAIN_REPLACE}: moves mock device {@code stdevId} to {@code ptId}. */
    public static NativeStruct mockDomainReplace(int stdevId, int ptId) {
        return op(OP_MOCK_DOMAIN_REPLACE, stdevId).putInt(REPLACE_OFF_PT_ID, ptId);
    }

    /** {@code out_stdev_id} of {@code MOCK_DOMAIN_FLAGS}: the selftest device object, destroyed to unbind. */
    public static int mockDomainOutStdevId(NativeStruct s) {
        return s.getInt(MD_OFF_OUT_STDEV_ID);
    }

    /** {@code out_idev_id} of {@code MOCK_DOMAIN_FLAGS}: the iommufd device id ({@code dev_id} of other commands). */
    public static int mockDomainOutIdevId(NativeStruct s) {
        return s.getInt(MD_OFF_OUT_IDEV_ID);
    }

    /** {@code out_hwpt_id} of {@code MOCK_DOMAIN_FLAGS}: the HWPT the new device is attached to. */
    public static int mockDomainOutHwptId(NativeStruct s) {
        return s.getInt(MD_OFF_OUT_HWPT_ID);
    }

    /** The {@code pt_id} {@code MOCK_DOMAIN_REPLACE} wrote back: the HWPT the device is now on. */
    public static int replacePtId(NativeStruct s) {
        return s.getInt(REPLACE_OFF_PT_ID);
    }

    /** {@code out_nr_dirty} of {@code DIRTY}: how many IOPTEs the kernel marked. */
    public static long dirtyOutNrDirty(NativeStruct s) {
        return s.getLong(DIRTY_OFF_OUT_NR_DIRTY);
    }

    /** {@code DIRTY}: marks the pages flagged in the bitmap at {@code uptr} dirty in HWPT {@code hwptId}. */
    public static NativeStruct dirty(int hwptId, long iova, long length, long pageSize, long uptr) {
        return op(OP_DIRTY, hwptId).putLong(DIRTY_OFF_IOVA, iova).putLong(DIRTY_OFF_LENGTH, length)
                .putLong(DIRTY_OFF_PAGE_SIZE, pageSize).putLong(DIRTY_OFF_UPTR, uptr);
    }
}
