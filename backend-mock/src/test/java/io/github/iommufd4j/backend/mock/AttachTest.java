package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HwptAllocFlag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.github.iommufd4j.api.HwptAllocFlag.DIRTY_TRACKING;
import static org.assertj.core.api.Assertions.assertThat;

/** VFIO_DEVICE_ATTACH_IOMMUFD_PT and VFIO_DEVICE_DETACH_IOMMUFD_PT. */
class AttachTest extends MockTestSupport {

    @Test
    void kAtt1_unknownPtIsEnoent() {
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.ENOENT, () -> be.attach(dev.devId(), 9));
        assertErrno(Errno.ENOENT, () -> be.attach(dev.devId(), 0));
    }

    @Test
    void kAtt1_aDeviceAsPtIsEinval() {
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.EINVAL, () -> be.attach(dev.devId(), dev.devId()));
    }

    @Test
    void attach_unboundDeviceIsEnoent() {
        int ioas = be.ioasAlloc();
        assertErrno(Errno.ENOENT, () -> be.attach(5, ioas));
    }

    @Test
    void kAtt2_hwptOfAnotherFamilyIsEinval() {
        int ioas = be.ioasAlloc();
        BoundDevice intel = device("vf0", DIRTY);
        BoundDevice arm = device("vf1", ARM);
        int hwpt = be.hwptAlloc(intel.devId(), ioas, HwptAllocFlag.none());
        assertErrno(Errno.EINVAL, () -> be.attach(arm.devId(), hwpt));
    }

    @Test
    void kAtt2_nonDirtyDeviceOnADirtyTrackingHwptIsEinval() {
        int ioas = be.ioasAlloc();
        BoundDevice dirty = device("vf0", DIRTY);
        BoundDevice plain = device("vf1", NO_DIRTY);
        int hwpt = be.hwptAlloc(dirty.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING));
        assertErrno(Errno.EINVAL, () -> be.attach(plain.devId(), hwpt));
    }

    @Test
    void kAtt2_dirtyCapableDeviceIsAcceptedOnANonDirtyHwpt() {
        int ioas = be.ioasAlloc();
        BoundDevice dirty = device("vf0", DIRTY);
        BoundDevice plain = device("vf1", NO_DIRTY);
        int hwpt = be.hwptAlloc(plain.devId(), ioas, HwptAllocFlag.none());
        assertThat(be.attach(dirty.devId(), hwpt)).isEqualTo(hwpt);
        assertThat(be.attach(plain.devId(), hwpt)).isEqualTo(hwpt);
    }

    @Test
    void kAtt2_failedReplaceLeavesTheDeviceWhereItWas() {
        int ioas = be.ioasAlloc();
        BoundDevice plain = device("vf1", NO_DIRTY);
        BoundDevice dirty = device("vf0", DIRTY);
        int home = be.hwptAlloc(plain.devId(), ioas, HwptAllocFlag.none());
        int dirtyHwpt = be.hwptAlloc(dirty.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING));
        be.attach(plain.devId(), home);
        List<BackendObject> before = be.liveObjects();
        assertErrno(Errno.EINVAL, () -> be.attach(plain.devId(), dirtyHwpt));
        assertThat(be.liveObjects()).isEqualTo(before);
        assertErrno(Errno.EBUSY, () -> be.destroy(home));
        be.destroy(dirtyHwpt);
    }

    @Test
    void kAtt3_secondAttachReplaces() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int a = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        int b = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        be.attach(dev.devId(), a);
        assertThat(be.attach(dev.devId(), b)).isEqualTo(b);
        be.destroy(a);
        assertErrno(Errno.EBUSY, () -> be.destroy(b));
    }

    @Test
    void kAtt3_attachToTheSameHwptIsANoOp() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int a = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        be.attach(dev.devId(), a);
        List<BackendObject> before = be.liveObjects();
        assertThat(be.attach(dev.devId(), a)).isEqualTo(a);
        assertThat(be.liveObjects()).isEqualTo(before);
    }

    @Test
    void kAtt4_attachToAnIoasMakesAnAutoDomain() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int auto = be.attach(dev.devId(), ioas);
        assertThat(auto).isEqualTo(3);
        assertThat(be.liveObjects()).contains(new BackendObject(BackendObject.Type.HWPT, auto));
        assertErrno(Errno.EBUSY, () -> be.destroy(ioas));
    }

    @Test
    void kAtt4_compatibleDevicesShareTheAutoDomain() {
        int ioas = be.ioasAlloc();
        int first = be.attach(device("vf0", DIRTY).devId(), ioas);
        int second = be.attach(device("vf1", NO_DIRTY).devId(), ioas);
        assertThat(second).isEqualTo(first);
    }

    @Test
    void kAtt4_anIncompatibleDeviceGetsAnotherAutoDomain() {
        int ioas = be.ioasAlloc();
        int first = be.attach(device("vf0", DIRTY).devId(), ioas);
        int second = be.attach(device("vf1", ARM).devId(), ioas);
        assertThat(second).isNotEqualTo(first);
        assertThat(be.liveObjects()).filteredOn(o -> o.type() == BackendObject.Type.HWPT).hasSize(2);
    }

    @Test
    void kAtt4_autoDomainIsNeverDirtyTracking() {
        int ioas = be.ioasAlloc();
        int auto = be.attach(device("vf0", DIRTY).devId(), ioas);
        assertErrno(Errno.EOPNOTSUPP, () -> be.setDirtyTracking(auto, true));
    }

    @Test
    void kAtt4_explicitHwptsAreNotPickedForAnIoasAttach() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int explicit = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        assertThat(be.attach(dev.devId(), ioas)).isNotEqualTo(explicit);
    }

    @Test
    void kAtt4_autoDomainDiesWithItsLastDevice() {
        int ioas = be.ioasAlloc();
        BoundDevice a = device("vf0", DIRTY);
        BoundDevice b = device("vf1", DIRTY);
        int auto = be.attach(a.devId(), ioas);
        be.attach(b.devId(), ioas);
        be.detach(a.devId());
        assertThat(be.liveObjects()).contains(new BackendObject(BackendObject.Type.HWPT, auto));
        be.detach(b.devId());
        assertThat(be.liveObjects()).doesNotContain(new BackendObject(BackendObject.Type.HWPT, auto));
        be.destroy(ioas);
    }

    @Test
    void kAtt4_replacingOntoAnExplicitHwptFreesTheAutoDomain() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int auto = be.attach(dev.devId(), ioas);
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING));
        be.attach(dev.devId(), hwpt);
        assertThat(be.liveObjects()).doesNotContain(new BackendObject(BackendObject.Type.HWPT, auto));
    }

    @Test
    void kAtt4_newAutoDomainNeedsMappingsInsideTheAperture() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, PAGE, PAGE);
        BoundDevice dev = device("vf0", DIRTY);
        List<BackendObject> before = be.liveObjects();
        assertErrno(Errno.EADDRINUSE, () -> be.attach(dev.devId(), ioas));
        assertThat(be.liveObjects()).isEqualTo(before);
    }

    @Test
    void detach_whenNotAttachedIsANoOp() {
        BoundDevice dev = device("vf0", DIRTY);
        be.detach(dev.devId());
        be.detach(dev.devId());
        assertThat(be.callCounts().get(BackendOp.DETACH)).isEqualTo(2L);
    }

    @Test
    void detach_unboundDeviceIsEnoent() {
        assertErrno(Errno.ENOENT, () -> be.detach(4));
    }

    @Test
    void mdev_attachesToTheIoasItselfWithoutAHwpt() {
        int ioas = be.ioasAlloc();
        BoundDevice m = mdev("mdev0");
        assertThat(be.attach(m.devId(), ioas)).isEqualTo(ioas);
        assertThat(be.liveObjects()).extracting(BackendObject::type)
                .containsExactly(BackendObject.Type.IOAS, BackendObject.Type.DEVICE);
    }

    @Test
    void mdev_attachToAHwptIsEnoent() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        assertErrno(Errno.ENOENT, () -> be.attach(mdev("mdev0").devId(), hwpt));
    }
}
