package io.github.iommufd4j.backend.linux.uapi;

import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.backend.linux.sys.NativeRegion;
import io.github.iommufd4j.backend.linux.sys.NativeStruct;

import java.util.List;

/**
 * {@code struct vfio_device_feature} with the payloads this backend uses: {@code vfio_device_feature_migration},
 * {@code vfio_device_feature_dma_logging_control}, {@code _range} and {@code _report}. Payload offsets
 * ({@code MIG_*}, {@code CTL_*}, {@code RANGE_*}, {@code REPORT_*}) are relative to the start of their own
 * struct, which sits at {@link #OFF_DATA}.
 */
public final class VfioFeature {
    public static final int REQUEST = IoctlNumber.io(IoctlNumber.VFIO_BASE + 17);
    public static final int HEADER_SIZE = 8;
    public static final int OFF_ARGSZ = 0;
    public static final int OFF_FLAGS = 4;
    public static final int OFF_DATA = 8;

    public static final int FLAG_GET = 1 << 16;
    public static final int FLAG_SET = 1 << 17;
    public static final int FLAG_PROBE = 1 << 18;

    public static final int FEATURE_MIGRATION = 1;
    public static final int FEATURE_DMA_LOGGING_START = 6;
    public static final int FEATURE_DMA_LOGGING_STOP = 7;
    public static final int FEATURE_DMA_LOGGING_REPORT = 8;

    /** {@code struct vfio_device_feature_migration}. */
    public static final int MIG_SIZE = 8;
    public static final int MIG_OFF_FLAGS = 0;
    public static final long MIGRATION_STOP_COPY = 1;
    public static final long MIGRATION_P2P = 2;

    /** {@code struct vfio_device_feature_dma_logging_control}. */
    public static final int CTL_SIZE = 24;
    public static final int CTL_OFF_PAGE_SIZE = 0;
    public static final int CTL_OFF_NUM_RANGES = 8;
    public static final int CTL_OFF_RESERVED = 12;
    public static final int CTL_OFF_RANGES = 16;

    /** {@code struct vfio_device_feature_dma_logging_range}. */
    public static final int RANGE_SIZE = 16;
    public static final int RANGE_OFF_IOVA = 0;
    public static final int RANGE_OFF_LENGTH = 8;

    /** {@code struct vfio_device_feature_dma_logging_report}. */
    public static final int REPORT_SIZE = 32;
    public static final int REPORT_OFF_IOVA = 0;
    public static final int REPORT_OFF_LENGTH = 8;
    public static final int REPORT_OFF_PAGE_SIZE = 16;
    public static final int REPORT_OFF_BITMAP = 24;

    private VfioFeature() {
    }

    /** Whether the device supports {@code feature} for {@code GET} or {@code SET} (no payload). */
    public static NativeStruct probe(int feature, int getOrSet) {
        return header(HEADER_SIZE, FLAG_PROBE | getOrSet | feature);
    }

    /** {@code GET} of {@code VFIO_DEVICE_FEATURE_MIGRATION}. */
    public static NativeStruct getMigration() {
        return header(HEADER_SIZE + MIG_SIZE, FLAG_GET | FEATURE_MIGRATION);
    }

    /** The migration flags read by {@link #getMigration()}. */
    public static long migrationFlags(NativeStruct s) {
        return s.getLong(OFF_DATA + MIG_OFF_FLAGS);
    }

    /** {@code SET} of {@code DMA_LOGGING_START} over {@code numRanges} ranges at {@code rangesAddress}. */
    public static NativeStruct dmaLoggingStart(long pageSize, int numRanges, long rangesAddress) {
        return header(HEADER_SIZE + CTL_SIZE, FLAG_SET | FEATURE_DMA_LOGGING_START)
                .putLong(OFF_DATA + CTL_OFF_PAGE_SIZE, pageSize)
                .putInt(OFF_DATA + CTL_OFF_NUM_RANGES, numRanges)
                .putLong(OFF_DATA + CTL_OFF_RANGES, rangesAddress);
    }

    /** Bytes of a table of {@code count} {@code vfio_device_feature_dma_logging_range}s. */
    public static long rangeTableSize(int count) {
        return (long) count * RANGE_SIZE;
    }

    /** Writes {@code ranges} into {@code table} (of {@link #rangeTableSize} bytes) as the kernel reads them. */
    public static void writeRanges(NativeRegion table, List<IovaRange> ranges) {
        for (int i = 0; i < ranges.size(); i++) {
            table.putLong((long) i * RANGE_SIZE + RANGE_OFF_IOVA, ranges.get(i).iova());
            table.putLong((long) i * RANGE_SIZE + RANGE_OFF_LENGTH, ranges.get(i).length());
        }
    }

    /** {@code SET} of {@code DMA_LOGGING_STOP}. */
    public static NativeStruct dmaLoggingStop() {
        return header(HEADER_SIZE, FLAG_SET | FEATURE_DMA_LOGGING_STOP);
    }

    /** {@code GET} of {@code DMA_LOGGING_REPORT} into the bitmap at {@code bitmapAddress}. */
    public static NativeStruct dmaLoggingReport(long iova, long length, long pageSize, long bitmapAddress) {
        return header(HEADER_SIZE + REPORT_SIZE, FLAG_GET | FEATURE_DMA_LOGGING_REPORT)
                .putLong(OFF_DATA + REPORT_OFF_IOVA, iova)
                .putLong(OFF_DATA + REPORT_OFF_LENGTH, length)
                .putLong(OFF_DATA + REPORT_OFF_PAGE_SIZE, pageSize)
                .putLong(OFF_DATA + REPORT_OFF_BITMAP, bitmapAddress);
    }

    private static NativeStruct header(int argsz, int flags) {
        return new NativeStruct("vfio_device_feature", argsz).putInt(OFF_ARGSZ, argsz).putInt(OFF_FLAGS, flags);
    }
}
