package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.backend.linux.sys.NativeStruct;

/** {@code struct iommu_ioas_unmap} and {@code IOMMU_IOAS_UNMAP}. */
public final class IoasUnmap {
    public static final int REQUEST = IoctlNumber.io(0x86);
    public static final int SIZE = 24;
    public static final int OFF_SIZE = 0;
    public static final int OFF_IOAS_ID = 4;
    public static final int OFF_IOVA = 8;
    /** In: bytes to unmap; out: bytes unmapped. */
    public static final int OFF_LENGTH = 16;

    private IoasUnmap() {
    }

    /** Unmaps {@code [iova, iova + length)}. */
    public static NativeStruct encode(int ioasId, long iova, long length) {
        return new NativeStruct("iommu_ioas_unmap", SIZE)
                .putInt(OFF_SIZE, SIZE).putInt(OFF_IOAS_ID, ioasId).putLong(OFF_IOVA, iova).putLong(OFF_LENGTH, length);
    }

    /** The number of bytes the kernel unmapped. */
    public static long unmappedLength(NativeStruct s) {
        return s.getLong(OFF_LENGTH);
    }
}
