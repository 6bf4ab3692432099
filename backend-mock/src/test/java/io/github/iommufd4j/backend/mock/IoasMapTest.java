package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HwptAllocFlag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** IOMMU_IOAS_MAP and IOMMU_IOAS_UNMAP, docs/reference/kernel-uapi.md section 3. */
class IoasMapTest extends MockTestSupport {

    private int ioasWithMockDomain() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        be.attach(dev.devId(), ioas);
        return ioas;
    }

    @Test
    void map_unknownIoasIsEnoent() {
        assertErrno(Errno.ENOENT, () -> be.ioasMap(9, MEM, PAGE));
    }

    @Test
    void map_aDeviceIdIsNoIoasSoEnoent() {
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.ENOENT, () -> be.ioasMap(dev.devId(), MEM, PAGE));
    }

    @Test
    void map_u64MaxIovaOrLengthIsEoverflowBeforeTheIoasLookup() {
        assertErrno(Errno.EOVERFLOW, () -> be.ioasMap(9, -1L, PAGE));
        assertErrno(Errno.EOVERFLOW, () -> be.ioasMap(9, MEM, -1L));
    }

    @Test
    void map_lengthZeroIsEinval() {
        int ioas = be.ioasAlloc();
        assertErrno(Errno.EINVAL, () -> be.ioasMap(ioas, MEM, 0));
    }

    @Test
    void map_rangeWrappingPast2To64IsEoverflow() {
        int ioas = be.ioasAlloc();
        assertErrno(Errno.EOVERFLOW, () -> be.ioasMap(ioas, -PAGE, 2 * PAGE));
    }

    @Test
    void map_emptyIoasHasAlignmentOneAndNoAperture() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, 0x1001, 0x10);
        be.ioasMap(ioas, 0, 1);
        assertErrno(Errno.EEXIST, () -> be.ioasMap(ioas, 0x1010, 1)); // the last byte of the first area
        be.ioasMap(ioas, 0x1011, 1); // the byte after it is free
        assertErrno(Errno.EEXIST, () -> be.ioasMap(ioas, 0, 1));
        be.ioasUnmap(ioas, 0x1001, 0x10); // exactly the area mapped
        be.ioasMap(ioas, 0x1001, 0x10);
    }

    @Test
    void map_lengthNotAMultipleOfTheIoasAlignmentIsEinval() {
        int ioas = ioasWithMockDomain();
        assertErrno(Errno.EINVAL, () -> be.ioasMap(ioas, MEM, 0x400));
        be.ioasMap(ioas, MEM, IOPTE_SIZE);
    }

    @Test
    void map_iovaNotAlignedToTheIoasAlignmentIsEinval() {
        int ioas = ioasWithMockDomain();
        assertErrno(Errno.EINVAL, () -> be.ioasMap(ioas, MEM + 0x400, PAGE));
    }

    @Test
    void map_outsideADomainApertureIsEinval() {
        int ioas = ioasWithMockDomain();
        assertErrno(Errno.EINVAL, () -> be.ioasMap(ioas, MEM - PAGE, PAGE));
        assertErrno(Errno.EINVAL, () -> be.ioasMap(ioas, APERTURE_LAST + 1, PAGE));
        assertErrno(Errno.EINVAL, () -> be.ioasMap(ioas, APERTURE_LAST + 1 - PAGE, 2 * PAGE));
        be.ioasMap(ioas, APERTURE_LAST + 1 - PAGE, PAGE);
    }

    @Test
    void map_overlappingAnAreaIsEexist() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, MEM, 4 * PAGE);
        assertErrno(Errno.EEXIST, () -> be.ioasMap(ioas, MEM + 3 * PAGE, 2 * PAGE));
        assertErrno(Errno.EEXIST, () -> be.ioasMap(ioas, MEM - PAGE, 2 * PAGE));
        assertErrno(Errno.EEXIST, () -> be.ioasMap(ioas, MEM + PAGE, PAGE));
        be.ioasMap(ioas, MEM + 4 * PAGE, PAGE);
    }

    @Test
    void unmap_allOnAnEmptyIoasSucceedsAndLeavesItEmpty() {
        int ioas = be.ioasAlloc();
        be.ioasUnmap(ioas, 0, -1L);
        assertErrno(Errno.ENOENT, () -> be.ioasUnmap(ioas, MEM, PAGE)); // nothing mapped there
        assertThat(be.liveObjects()).containsExactly(new BackendObject(BackendObject.Type.IOAS, ioas));
        be.destroy(ioas);
        assertThat(be.liveObjects()).isEmpty();
    }

    @Test
    void unmap_allRemovesEveryArea() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, MEM, PAGE);
        be.ioasMap(ioas, MEM + 8 * PAGE, PAGE);
        be.ioasUnmap(ioas, 0, -1L);
        assertErrno(Errno.ENOENT, () -> be.ioasUnmap(ioas, MEM, PAGE));
        assertErrno(Errno.ENOENT, () -> be.ioasUnmap(ioas, MEM + 8 * PAGE, PAGE));
        be.ioasMap(ioas, MEM, 9 * PAGE); // over both: nothing left to overlap
        assertErrno(Errno.EEXIST, () -> be.ioasMap(ioas, MEM + 8 * PAGE, PAGE));
    }

    @Test
    void unmap_unknownIoasIsEnoent() {
        assertErrno(Errno.ENOENT, () -> be.ioasUnmap(5, 0, -1L));
    }

    @Test
    void unmap_lengthZeroIsEinval() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, MEM, PAGE);
        assertErrno(Errno.EINVAL, () -> be.ioasUnmap(ioas, MEM, 0));
    }

    @Test
    void unmap_nothingMappedThereIsEnoent() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, MEM, PAGE);
        assertErrno(Errno.ENOENT, () -> be.ioasUnmap(ioas, MEM + PAGE, PAGE));
    }

    @Test
    void unmap_cuttingIntoAnAreaIsEnoentAndKeepsIt() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, MEM, 4 * PAGE);
        assertErrno(Errno.ENOENT, () -> be.ioasUnmap(ioas, MEM, 2 * PAGE));
        assertErrno(Errno.ENOENT, () -> be.ioasUnmap(ioas, MEM + PAGE, 8 * PAGE));
        assertErrno(Errno.EEXIST, () -> be.ioasMap(ioas, MEM, PAGE));
    }

    @Test
    void unmap_aRangeCoveringWholeAreasRemovesThemAllAndNothingElse() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, MEM, PAGE);
        be.ioasMap(ioas, MEM + 2 * PAGE, PAGE);
        be.ioasMap(ioas, MEM + 16 * PAGE, PAGE);
        be.ioasUnmap(ioas, MEM - PAGE, 8 * PAGE);
        assertErrno(Errno.ENOENT, () -> be.ioasUnmap(ioas, MEM - PAGE, 8 * PAGE)); // nothing left in the range
        be.ioasMap(ioas, MEM, 3 * PAGE);
        assertErrno(Errno.EEXIST, () -> be.ioasMap(ioas, MEM + 16 * PAGE, PAGE)); // the area outside stayed
    }

    @Test
    void unmap_likeTheKernelKeepsAreasRemovedBeforeTheOneItWouldCut() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, MEM, PAGE);
        be.ioasMap(ioas, MEM + 2 * PAGE, 4 * PAGE);
        assertErrno(Errno.ENOENT, () -> be.ioasUnmap(ioas, MEM, 3 * PAGE));
        be.ioasMap(ioas, MEM, PAGE); // the first area went
        assertErrno(Errno.EEXIST, () -> be.ioasMap(ioas, MEM + 2 * PAGE, PAGE)); // the cut one stayed
    }

    @Test
    void unmap_dropsTheDirtyBitsOfTheArea() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING));
        be.attach(dev.devId(), hwpt);
        be.ioasMap(ioas, MEM, 4 * PAGE);
        be.setDirtyTracking(hwpt, true);
        assertThat(be.dmaWrite(dev.devId(), MEM, 4 * PAGE)).isEqualTo(8);
        be.ioasUnmap(ioas, MEM, 4 * PAGE);
        be.ioasMap(ioas, MEM, 4 * PAGE);
        DirtyBitmap bits = DirtyBitmap.forRange(4 * PAGE, PAGE);
        be.getDirtyBitmap(hwpt, MEM, 4 * PAGE, PAGE, false, bits);
        assertThat(bits.isEmpty()).isTrue();
    }

    @Test
    void map_withAnMdevOnTheIoasNeedsHostPageAlignment() {
        int ioas = be.ioasAlloc();
        be.attach(mdev("mdev0").devId(), ioas);
        assertErrno(Errno.EINVAL, () -> be.ioasMap(ioas, MEM, 0x800));
        be.ioasMap(ioas, MEM, PAGE);
    }
}
