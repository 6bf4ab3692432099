package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HwptAllocFlag;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;
import java.util.TreeSet;

import static io.github.iommufd4j.api.HwptAllocFlag.DIRTY_TRACKING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * IOMMU_HWPT_SET_DIRTY_TRACKING and IOMMU_HWPT_GET_DIRTY_BITMAP, after the kernel's set_dirty_tracking,
 * get_dirty_bitmap and get_dirty_bitmap_no_clear selftests. Not expressible through the typed API: K-SDT-1
 * and K-GDB-1 (flags and __reserved). Not observable: "disabling does not clear" (K-SDT-4), since a read with
 * tracking off reports nothing (K-GDB-7) and enabling again clears.
 */
class DirtyTrackingTest extends MockTestSupport {
    /** 64 MiB of guest memory: 16384 pages. */
    private static final long MEM_LEN = 64L << 20;

    private int ioas;
    private BoundDevice dev;
    private int hwpt;

    @BeforeEach
    void dirtyHwptWithMemory() {
        ioas = be.ioasAlloc();
        dev = device("vf0", DIRTY);
        hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING));
        be.attach(dev.devId(), hwpt);
        be.ioasMap(ioas, MEM, MEM_LEN);
    }

    private DirtyBitmap read(long iova, long length, long pageSize, boolean noClear) {
        DirtyBitmap bits = DirtyBitmap.forRange(length, pageSize);
        be.getDirtyBitmap(hwpt, iova, length, pageSize, noClear, bits);
        return bits;
    }

    @Test
    void kSdt2_anIoasIdIsEnoent() {
        assertErrno(Errno.ENOENT, () -> be.setDirtyTracking(ioas, true));
    }

    @Test
    void kSdt2_unknownOrDeviceIdIsEnoent() {
        assertErrno(Errno.ENOENT, () -> be.setDirtyTracking(99, true));
        assertErrno(Errno.ENOENT, () -> be.setDirtyTracking(dev.devId(), false));
    }

    @Test
    void kSdt3_hwptWithoutDirtyTrackingIsEopnotsupp() {
        int plain = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        assertErrno(Errno.EOPNOTSUPP, () -> be.setDirtyTracking(plain, true));
        assertErrno(Errno.EOPNOTSUPP, () -> be.setDirtyTracking(plain, false));
    }

    @Test
    void kSdt4_enablingClearsEveryDirtyBit() {
        be.setDirtyTracking(hwpt, true);
        be.dmaWrite(dev.devId(), MEM, 8 * PAGE);
        be.setDirtyTracking(hwpt, true); // enabling twice succeeds, and clears again
        assertThat(read(MEM, MEM_LEN, PAGE, false).isEmpty()).isTrue();
    }

    @Test
    void kSdt4_worksWithoutAttachedDevices() {
        be.detach(dev.devId());
        be.setDirtyTracking(hwpt, true);
        be.attach(dev.devId(), hwpt);
        assertThat(be.dmaWrite(dev.devId(), MEM + PAGE, PAGE)).as("IOPTEs marked: enabled while no device was on it")
                .isEqualTo(2);
        assertThat(read(MEM, 4 * PAGE, PAGE, true).get(1)).isTrue();

        be.detach(dev.devId());
        be.setDirtyTracking(hwpt, false);
        be.attach(dev.devId(), hwpt);
        assertThat(be.dmaWrite(dev.devId(), MEM + 2 * PAGE, PAGE)).as("IOPTEs marked: disabled while no device was on it")
                .isZero();
        assertThat(read(MEM, 4 * PAGE, PAGE, false).isEmpty()).as("K-GDB-7 tracking off reports nothing").isTrue();
    }

    @Test
    void dmaWrite_marksNothingWhileTrackingIsOff() {
        assertThat(be.dmaWrite(dev.devId(), MEM, PAGE)).isZero();
        be.setDirtyTracking(hwpt, true);
        assertThat(read(MEM, MEM_LEN, PAGE, false).isEmpty()).isTrue();
    }

    @Test
    void dmaWrite_returnsTheIoptesMarkedOnlyWhereMapped() {
        be.setDirtyTracking(hwpt, true);
        assertThat(be.dmaWrite(dev.devId(), MEM, PAGE)).isEqualTo(2); // 2 KiB IOPTEs
        assertThat(be.dmaWrite(dev.devId(), MEM + MEM_LEN - PAGE, 4 * PAGE)).isEqualTo(2);
        assertThat(be.dmaWrite(dev.devId(), PAGE, PAGE)).isZero();
    }

    @Test
    void dmaWrite_ofADetachedDeviceDoesNothing() {
        be.setDirtyTracking(hwpt, true);
        be.detach(dev.devId());
        assertThat(be.dmaWrite(dev.devId(), MEM, PAGE)).isZero();
        assertThat(read(MEM, MEM_LEN, PAGE, false).isEmpty()).isTrue();
    }

    @Test
    void dmaWrite_marksOnlyTheDevicesOwnHwpt() {
        int other = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING));
        be.setDirtyTracking(hwpt, true);
        be.setDirtyTracking(other, true);
        be.dmaWrite(dev.devId(), MEM, PAGE);
        DirtyBitmap bits = DirtyBitmap.forRange(PAGE, PAGE);
        be.getDirtyBitmap(other, MEM, PAGE, PAGE, false, bits);
        assertThat(bits.isEmpty()).isTrue();
        assertThat(read(MEM, PAGE, PAGE, false).get(0)).isTrue();
    }

    @Test
    void kGdb2_unknownOrIoasIdIsEnoent() {
        DirtyBitmap bits = DirtyBitmap.forRange(PAGE, PAGE);
        assertErrno(Errno.ENOENT, () -> be.getDirtyBitmap(99, MEM, PAGE, PAGE, false, bits));
        assertErrno(Errno.ENOENT, () -> be.getDirtyBitmap(ioas, MEM, PAGE, PAGE, false, bits));
    }

    @Test
    void kGdb2_isCheckedBeforeTheRange() {
        DirtyBitmap bits = DirtyBitmap.forRange(2 * PAGE, PAGE);
        assertErrno(Errno.ENOENT, () -> be.getDirtyBitmap(99, -PAGE, 2 * PAGE, PAGE, false, bits));
    }

    @Test
    void kGdb3_lengthZeroIsEinvalAsOnTheRealKernel() {
        // docs/reference/kernel-uapi.md derives EOVERFLOW (iova + 0 - 1 wraps); 6.12.117 answers EINVAL (kernel lab).
        assertErrno(Errno.EINVAL, () -> be.getDirtyBitmap(hwpt, MEM, 0, PAGE, false, new DirtyBitmap(0)));
    }

    @Test
    void kGdb3_rangeWrappingPast2To64IsEoverflow() {
        DirtyBitmap bits = DirtyBitmap.forRange(2 * PAGE, PAGE);
        assertErrno(Errno.EOVERFLOW, () -> be.getDirtyBitmap(hwpt, -PAGE, 2 * PAGE, PAGE, false, bits));
    }

    @Test
    void kGdb3_isCheckedBeforeTheAlignment() {
        DirtyBitmap bits = DirtyBitmap.forRange(2 * PAGE, PAGE);
        assertErrno(Errno.EOVERFLOW, () -> be.getDirtyBitmap(hwpt, -PAGE + 0x400, 2 * PAGE, PAGE, false, bits));
    }

    @Test
    void kGdb4_iovaNotAlignedToTheIoasAlignmentIsEinval() {
        DirtyBitmap bits = DirtyBitmap.forRange(PAGE, 0x400);
        assertErrno(Errno.EINVAL, () -> be.getDirtyBitmap(hwpt, MEM + 0x400, PAGE, 0x400, false, bits));
    }

    @Test
    void kGdb4_endNotAlignedToTheIoasAlignmentIsEinval() {
        DirtyBitmap bits = DirtyBitmap.forRange(PAGE + 0x400, 0x400);
        assertErrno(Errno.EINVAL, () -> be.getDirtyBitmap(hwpt, MEM, PAGE + 0x400, 0x400, false, bits));
    }

    @Test
    void kGdb4_pageSizeZeroIsEinval() {
        assertErrno(Errno.EINVAL, () -> be.getDirtyBitmap(hwpt, MEM, PAGE, 0, false, new DirtyBitmap(1)));
    }

    @Test
    void kGdb4_rangeNotAlignedToThePageSizeIsEinval() {
        DirtyBitmap bits = DirtyBitmap.forRange(2 * PAGE, PAGE);
        assertErrno(Errno.EINVAL, () -> be.getDirtyBitmap(hwpt, MEM + 0x800, PAGE, PAGE, false, bits));
        assertErrno(Errno.EINVAL, () -> be.getDirtyBitmap(hwpt, MEM, PAGE + 0x800, PAGE, false, bits));
    }

    @Test
    void kGdb4_isCheckedBeforeKGdb5() {
        int plain = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        assertErrno(Errno.EINVAL, () -> be.getDirtyBitmap(plain, MEM, PAGE, 0, false, new DirtyBitmap(1)));
    }

    @Test
    void kGdb5_hwptWithoutDirtyTrackingIsEopnotsupp() {
        int plain = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        DirtyBitmap bits = DirtyBitmap.forRange(PAGE, PAGE);
        assertErrno(Errno.EOPNOTSUPP, () -> be.getDirtyBitmap(plain, MEM, PAGE, PAGE, false, bits));
    }

    @Test
    void bitmapTooSmallIsRejectedBeforeAnything() {
        DirtyBitmap small = new DirtyBitmap(3);
        assertThatThrownBy(() -> be.getDirtyBitmap(99, MEM, 4 * PAGE, PAGE, false, small))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 bits");
        assertThat(be.callCounts()).doesNotContainKey(BackendOp.GET_DIRTY_BITMAP);
        assertThatThrownBy(() -> be.getDirtyBitmap(hwpt, MEM, PAGE, PAGE, false, null))
                .isInstanceOf(NullPointerException.class);
    }

    /** The kernel's get_dirty_bitmap test reads at several offsets; ours: the first page, +1 page, +0xff1 pages. */
    @ParameterizedTest(name = "read window starting {0} pages in")
    @ValueSource(longs = {0, 1, 0xff1})
    void kGdb6_bitIMeansPageIovaPlusITimesPageSize(long startPage) {
        be.setDirtyTracking(hwpt, true);
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        TreeSet<Long> written = new TreeSet<>();
        for (int i = 0; i < 300; i++) {
            long page = rnd.nextLong(MEM_LEN / PAGE);
            written.add(page);
            be.dmaWrite(dev.devId(), MEM + page * PAGE + rnd.nextLong(PAGE), 1);
        }
        long pages = 0x1001; // not a multiple of 64
        DirtyBitmap bits = read(MEM + startPage * PAGE, pages * PAGE, PAGE, false);
        DirtyBitmap expected = new DirtyBitmap(pages);
        written.subSet(startPage, startPage + pages).forEach(p -> expected.set(p - startPage));
        assertThat(bits).as("seed %d", seed).isEqualTo(expected);
        assertThat(read(MEM + startPage * PAGE, pages * PAGE, PAGE, false).isEmpty()).as("second read, seed %d", seed).isTrue();
    }

    @Test
    void kGdb6_onlySetsBitsInTheCallersBitmap() {
        be.setDirtyTracking(hwpt, true);
        be.dmaWrite(dev.devId(), MEM + 2 * PAGE, 1);
        DirtyBitmap bits = DirtyBitmap.forRange(4 * PAGE, PAGE);
        bits.set(0);
        be.getDirtyBitmap(hwpt, MEM, 4 * PAGE, PAGE, false, bits);
        assertThat(bits.get(0)).isTrue();
        assertThat(bits.get(2)).isTrue();
        assertThat(bits.cardinality()).isEqualTo(2);
    }

    @Test
    void kGdb6_noClearKeepsTheBitsForTheNextRead() {
        be.setDirtyTracking(hwpt, true);
        be.dmaWrite(dev.devId(), MEM + 5 * PAGE, 3 * PAGE);
        DirtyBitmap first = read(MEM, 16 * PAGE, PAGE, true);
        DirtyBitmap second = read(MEM, 16 * PAGE, PAGE, true);
        assertThat(first.cardinality()).isEqualTo(3);
        assertThat(second).isEqualTo(first);
        assertThat(read(MEM, 16 * PAGE, PAGE, false)).isEqualTo(first);
        assertThat(read(MEM, 16 * PAGE, PAGE, false).isEmpty()).isTrue();
    }

    @Test
    void kGdb6_aDirtyIopteLargerThanThePageSetsEveryBitItCovers() {
        be.setDirtyTracking(hwpt, true);
        be.dmaWrite(dev.devId(), MEM + 0x900, 1); // one 2 KiB IOPTE: [MEM + 0x800, MEM + 0xfff]
        DirtyBitmap bits = read(MEM, PAGE, 0x400, false);
        assertThat(bits.cardinality()).isEqualTo(2);
        assertThat(bits.get(2)).isTrue();
        assertThat(bits.get(3)).isTrue();
    }

    @Test
    void kGdb6_aPageLargerThanTheIopteIsDirtyWhenAnyIopteInItIs() {
        be.setDirtyTracking(hwpt, true);
        be.dmaWrite(dev.devId(), MEM + 3 * PAGE, 1);
        DirtyBitmap bits = read(MEM, 8 * PAGE, 2 * PAGE, false);
        assertThat(bits.cardinality()).isEqualTo(1);
        assertThat(bits.get(1)).isTrue();
    }

    @Test
    void kGdb6_clearsOnlyTheRangeRead() {
        be.setDirtyTracking(hwpt, true);
        be.dmaWrite(dev.devId(), MEM, 4 * PAGE);
        read(MEM, 2 * PAGE, PAGE, false);
        DirtyBitmap rest = read(MEM, 4 * PAGE, PAGE, false);
        assertThat(rest.get(0) || rest.get(1)).isFalse();
        assertThat(rest.get(2) && rest.get(3)).isTrue();
    }

    @Test
    void kGdb7_aHoleEndsTheReportWithoutError() {
        be.ioasUnmap(ioas, MEM, MEM_LEN);
        be.ioasMap(ioas, MEM, 4 * PAGE);
        be.ioasMap(ioas, MEM + 8 * PAGE, 4 * PAGE);
        be.setDirtyTracking(hwpt, true);
        be.dmaWrite(dev.devId(), MEM + PAGE, 1);
        be.dmaWrite(dev.devId(), MEM + 9 * PAGE, 1);
        DirtyBitmap bits = read(MEM, 12 * PAGE, PAGE, false);
        assertThat(bits.cardinality()).isEqualTo(1);
        assertThat(bits.get(1)).isTrue();
        DirtyBitmap after = read(MEM + 8 * PAGE, 4 * PAGE, PAGE, false);
        assertThat(after.get(1)).as("bits past the hole stay, unread").isTrue();
    }

    @Test
    void kGdb7_readingWithTrackingOffReportsNothing() {
        be.setDirtyTracking(hwpt, true);
        be.dmaWrite(dev.devId(), MEM, PAGE);
        be.setDirtyTracking(hwpt, false);
        assertThat(read(MEM, PAGE, PAGE, false).isEmpty()).isTrue();
    }
}
