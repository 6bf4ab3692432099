package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwCap;
import io.github.iommufd4j.api.HwInfoType;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static io.github.iommufd4j.api.HwptAllocFlag.DIRTY_TRACKING;
import static io.github.iommufd4j.api.HwptAllocFlag.FAULT_ID_VALID;
import static io.github.iommufd4j.api.HwptAllocFlag.NEST_PARENT;
import static io.github.iommufd4j.api.HwptAllocFlag.PASID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * IOMMU_GET_HW_INFO and IOMMU_HWPT_ALLOC. Not expressible through the typed API, so not tested here:
 * K-HWI-1 (flags/reserved), K-ALLOC-1 (__reserved), K-ALLOC-2 (data_type/data_len: the call always sends
 * data_type NONE with no data).
 */
class HwptAllocTest extends MockTestSupport {

    @Test
    void kHwi3_selftestTypeWithTestRegAndDirtyCapability() {
        HostIommuDevice info = be.getHwInfo(device("vf0", DIRTY).devId());
        assertThat(info.hwInfoType()).isEqualTo(HwInfoType.SELFTEST);
        assertThat(info.hwInfoTypeCode()).isEqualTo(0xfeedbeef);
        byte[] data = info.vendorData();
        assertThat(data).hasSize(8);
        ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(le.getInt(0)).as("flags").isZero();
        assertThat(le.getInt(4)).as("test_reg").isEqualTo(0xdeadbeef);
        assertThat(info.capabilities()).isEqualTo(HwCap.setOf(HwCap.DIRTY_TRACKING));
        assertThat(info.deviceName()).isEqualTo("vf0");
    }

    @Test
    void kHwi3_noDirtyCapabilityWithoutIommuDirtyTracking() {
        HostIommuDevice info = be.getHwInfo(device("vf1", NO_DIRTY).devId());
        assertThat(info.supportsDirtyTracking()).isFalse();
        assertThat(info.capabilities().bits()).isZero();
    }

    @Test
    void kHwi2_unknownDeviceIsEnoent() {
        assertErrno(Errno.ENOENT, () -> be.getHwInfo(3));
    }

    @Test
    void kHwi2_anIoasIdIsEnoent() {
        int ioas = be.ioasAlloc();
        assertErrno(Errno.ENOENT, () -> be.getHwInfo(ioas));
    }

    @Test
    void kHwi2_anMdevHasNoIommuSoEnoent() {
        assertErrno(Errno.ENOENT, () -> be.getHwInfo(mdev("mdev0").devId()));
    }

    @Test
    void hwptAlloc_returnsANewPagingHwptHoldingTheIoas() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        assertThat(hwpt).isEqualTo(3);
        assertThat(be.liveObjects()).contains(new BackendObject(BackendObject.Type.HWPT, hwpt));
        assertErrno(Errno.EBUSY, () -> be.destroy(ioas));
    }

    @Test
    void hwptAlloc_isNeverReusedAutomatically() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int a = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        int b = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void hwptAlloc_newHwptHoldsTheExistingMappings() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, MEM, 4 * PAGE);
        BoundDevice dev = device("vf0", DIRTY);
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING));
        be.attach(dev.devId(), hwpt);
        be.setDirtyTracking(hwpt, true);
        assertThat(be.dmaWrite(dev.devId(), MEM + PAGE, PAGE)).isEqualTo(2);
        DirtyBitmap bits = DirtyBitmap.forRange(4 * PAGE, PAGE);
        be.getDirtyBitmap(hwpt, MEM, 4 * PAGE, PAGE, false, bits);
        assertThat(bits.get(1)).isTrue();
        assertThat(bits.cardinality()).isEqualTo(1);
    }

    @Test
    void kAlloc3_devIdNotADeviceIsEnoent() {
        int ioas = be.ioasAlloc();
        assertErrno(Errno.ENOENT, () -> be.hwptAlloc(ioas, ioas, HwptAllocFlag.none()));
        assertErrno(Errno.ENOENT, () -> be.hwptAlloc(8, ioas, HwptAllocFlag.none()));
    }

    @Test
    void kAlloc3_anMdevIsNotADeviceSoEnoent() {
        int ioas = be.ioasAlloc();
        assertErrno(Errno.ENOENT, () -> be.hwptAlloc(mdev("mdev0").devId(), ioas, HwptAllocFlag.none()));
    }

    @Test
    void kAlloc3_isCheckedBeforeThePtId() {
        assertErrno(Errno.ENOENT, () -> be.hwptAlloc(8, 9, HwptAllocFlag.none()));
    }

    @Test
    void kAlloc4_missingPtIdIsEinvalNotEnoent() {
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.EINVAL, () -> be.hwptAlloc(dev.devId(), 9, HwptAllocFlag.none()));
    }

    @Test
    void kAlloc4_aDeviceAsPtIdIsEinval() {
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.EINVAL, () -> be.hwptAlloc(dev.devId(), dev.devId(), HwptAllocFlag.none()));
    }

    @Test
    void kAlloc4_aPagingHwptAsPtIdAsksForANestedHwptWithoutDataSoEopnotsupp() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int parent = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(NEST_PARENT));
        assertErrno(Errno.EOPNOTSUPP, () -> be.hwptAlloc(dev.devId(), parent, HwptAllocFlag.none()));
    }

    @Test
    void kAlloc4_isCheckedBeforeTheFlags() {
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.EINVAL, () -> be.hwptAlloc(dev.devId(), 9, FlagSet.ofBits(HwptAllocFlag.class, 1L << 20)));
    }

    @Test
    void kAlloc5_unknownFlagBitsAreEopnotsupp() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.EOPNOTSUPP, () -> be.hwptAlloc(dev.devId(), ioas, FlagSet.ofBits(HwptAllocFlag.class, 1L << 20)));
    }

    @Test
    void kAlloc5_pasidIsUnknownToAPagingHwptOnLinux612() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.EOPNOTSUPP, () -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(PASID)));
    }

    @Test
    void kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf1", NO_DIRTY);
        assertThatThrownBy(() -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING)))
                .isInstanceOfSatisfying(IommufdException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP);
                    assertThat(e.getMessage()).isEqualTo("HWPT_ALLOC(dev 2, ioas 1, [DIRTY_TRACKING]) failed: EOPNOTSUPP"
                            + " - the IOMMU iommu1 of device vf1 has no dirty tracking");
                });
    }

    @Test
    void kAlloc6_dirtyAllocOnDirtyDeviceMakesADirtyTrackingHwpt() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        be.ioasMap(ioas, MEM, 4 * PAGE);
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING));
        assertThat(be.liveObjects()).as("K-ID-1: the lowest free id after IOAS 1 and dev 2")
                .containsExactly(new BackendObject(BackendObject.Type.IOAS, ioas),
                        new BackendObject(BackendObject.Type.DEVICE, dev.devId()), new BackendObject(BackendObject.Type.HWPT, 3));
        assertThat(hwpt).isEqualTo(3);
        be.attach(dev.devId(), hwpt);
        be.setDirtyTracking(hwpt, true); // K-SDT-3: EOPNOTSUPP without DIRTY_TRACKING
        assertThat(be.dmaWrite(dev.devId(), MEM, PAGE)).isEqualTo(2);
        DirtyBitmap bits = DirtyBitmap.forRange(4 * PAGE, PAGE);
        be.getDirtyBitmap(hwpt, MEM, 4 * PAGE, PAGE, false, bits);
        assertThat(bits.cardinality()).isEqualTo(1);
        assertThat(bits.get(0)).isTrue();
    }

    @Test
    void nestParentOnAnIommuWithoutNestingIsEopnotsupp() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf1", NO_DIRTY);
        assertErrno(Errno.EOPNOTSUPP, () -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(NEST_PARENT)));
    }

    @Test
    @DisplayName("K-ALLOC-7: an existing mapping outside the new domain's aperture is EADDRINUSE, nothing made")
    void kAlloc7_existingMappingOutsideTheApertureIsEaddrinuse() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, PAGE, PAGE);
        BoundDevice dev = device("vf0", DIRTY);
        List<BackendObject> before = be.liveObjects();
        assertErrno(Errno.EADDRINUSE, () -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none()));
        assertThat(be.liveObjects()).isEqualTo(before);
    }

    @Test
    @DisplayName("K-ALLOC-7: an existing mapping not aligned to the new domain's IOPTE size is EADDRINUSE")
    void kAlloc7_existingMappingNotAlignedToTheIopteIsEaddrinuse() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, MEM, 0x400);
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.EADDRINUSE, () -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none()));
    }

    @Test
    void iopteLargerThanTheHostPageIsEinval() {
        IommuSpec big = new IommuSpec("big0", "default", true, true, MEM, APERTURE_LAST, 2 * PAGE);
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", big);
        assertErrno(Errno.EINVAL, () -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none()));
    }

    @Test
    void faultIdValidNamesNoFaultObjectSoEnoent() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.ENOENT, () -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(FAULT_ID_VALID)));
    }

    @Test
    void failedAllocLeavesNoObjectAndTheIdFree() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf1", NO_DIRTY);
        List<BackendObject> before = be.liveObjects();
        assertErrno(Errno.EOPNOTSUPP, () -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING)));
        assertErrno(Errno.ENOENT, () -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(FAULT_ID_VALID)));
        assertThat(be.liveObjects()).isEqualTo(before);
        assertThat(be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none())).isEqualTo(3);
        be.destroy(3);
        be.destroy(ioas);
    }

    @Test
    void nullFlagsAreRejectedBeforeTheCall() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        assertThatThrownBy(() -> be.hwptAlloc(dev.devId(), ioas, null)).isInstanceOf(NullPointerException.class);
        assertThat(be.callCounts()).doesNotContainKey(io.github.iommufd4j.api.BackendOp.HWPT_ALLOC);
    }
}
