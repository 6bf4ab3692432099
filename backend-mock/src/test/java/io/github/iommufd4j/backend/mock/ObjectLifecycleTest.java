package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static io.github.iommufd4j.api.BackendObject.Type.DEVICE;
import static io.github.iommufd4j.api.BackendObject.Type.HWPT;
import static io.github.iommufd4j.api.BackendObject.Type.IOAS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ObjectLifecycleTest extends MockTestSupport {

    @Test
    void kId1_idsStartAtOneAndTheLowestFreeIdIsReused() {
        assertThat(List.of(be.ioasAlloc(), be.ioasAlloc(), be.ioasAlloc())).containsExactly(1, 2, 3);
        be.destroy(2);
        assertThat(be.ioasAlloc()).isEqualTo(2);
        be.destroy(1);
        assertThat(device("vf0", DIRTY).devId()).isEqualTo(1);
        assertThat(be.ioasAlloc()).isEqualTo(4);
    }

    @Test
    void kId1_idsArePerBackendInstance() {
        be.ioasAlloc();
        be.ioasAlloc();
        try (MockBackend other = new MockBackend()) {
            assertThat(other.ioasAlloc()).isEqualTo(1);
        }
    }

    @Test
    void ioasAlloc_listsTheIoasInTheInventory() {
        int ioas = be.ioasAlloc();
        assertThat(be.liveObjects()).containsExactly(new BackendObject(IOAS, ioas));
    }

    @Test
    void kDes1_unknownIdIsEnoent() {
        be.ioasAlloc();
        assertErrno(Errno.ENOENT, () -> be.destroy(7));
    }

    @Test
    void kDes1_idZeroIsEnoent() {
        assertErrno(Errno.ENOENT, () -> be.destroy(0));
    }

    @Test
    void kDes1_destroyedIdIsGoneAfterwards() {
        int ioas = be.ioasAlloc();
        be.destroy(ioas);
        assertErrno(Errno.ENOENT, () -> be.destroy(ioas));
        assertThat(be.liveObjects()).isEmpty();
    }

    @Test
    void kDes2_ioasWithAHwptIsEbusy() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        assertErrno(Errno.EBUSY, () -> be.destroy(ioas));
        be.destroy(hwpt);
        be.destroy(ioas);
        assertThat(be.liveObjects()).containsExactly(new BackendObject(DEVICE, dev.devId()));
    }

    @Test
    void kDes2_hwptWithAnAttachedDeviceIsEbusy() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        be.attach(dev.devId(), hwpt);
        assertErrno(Errno.EBUSY, () -> be.destroy(hwpt));
        be.detach(dev.devId());
        be.destroy(hwpt);
        assertThat(be.liveObjects()).extracting(BackendObject::type).containsExactly(IOAS, DEVICE);
    }

    @Test
    void kDes2_boundDeviceIdIsAlwaysEbusy() {
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.EBUSY, () -> be.destroy(dev.devId()));
        assertThat(be.liveObjects()).containsExactly(new BackendObject(DEVICE, dev.devId()));
    }

    @Test
    void kDes2_ioasUsedByAnMdevIsEbusy() {
        int ioas = be.ioasAlloc();
        BoundDevice m = mdev("mdev0");
        be.attach(m.devId(), ioas);
        assertErrno(Errno.EBUSY, () -> be.destroy(ioas));
        be.detach(m.devId());
        be.destroy(ioas);
    }

    @Test
    void liveObjects_areSortedByIdWithTheirTypes() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int auto = be.attach(dev.devId(), ioas);
        assertThat(be.liveObjects()).containsExactly(new BackendObject(IOAS, 1), new BackendObject(DEVICE, 2),
                new BackendObject(HWPT, 3));
        assertThat(auto).isEqualTo(3);
    }

    @Test
    void bind_reportsTheDeviceAsSpecified() {
        be.createDevice(new DeviceSpec("vf7", ARM, false, true, false, true));
        BoundDevice dev = be.bind("vf7");
        assertThat(dev.name()).isEqualTo("vf7");
        assertThat(dev.mdev()).isFalse();
        assertThat(dev.iommuInstance()).isEqualTo("smmu0");
        assertThat(dev.group()).isEqualTo("vf7");
        assertThat(dev.features().dmaLogging()).isTrue();
        assertThat(dev.features().migration()).isFalse();
        assertThat(dev.features().p2p()).isTrue();
    }

    @Test
    void bind_unknownReferenceIsEnoentNamingIt() {
        be.createDevice(DeviceSpec.plain("vf0", DIRTY));
        assertThatThrownBy(() -> be.bind("vf9")).isInstanceOfSatisfying(IommufdException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.ENOENT);
            assertThat(e.getMessage()).startsWith("BIND(vf9) failed: ENOENT").contains("vf0");
        });
        assertThat(be.liveObjects()).isEmpty();
    }

    @Test
    void bind_alreadyBoundIsEinval() {
        device("vf0", DIRTY);
        assertErrno(Errno.EINVAL, () -> be.bind("vf0"));
        assertThat(be.liveObjects()).hasSize(1);
    }

    @Test
    void unbind_freesTheIdAndAllowsBindingAgain() {
        BoundDevice dev = device("vf0", DIRTY);
        be.unbind(dev.devId());
        assertThat(be.liveObjects()).isEmpty();
        assertThat(be.bind("vf0").devId()).isEqualTo(dev.devId());
    }

    @Test
    void unbind_unknownDeviceIsEnoent() {
        int ioas = be.ioasAlloc();
        assertErrno(Errno.ENOENT, () -> be.unbind(ioas));
        assertErrno(Errno.ENOENT, () -> be.unbind(42));
    }

    @Test
    void unbind_detachesAndFreesTheAutoDomainWithItsLastDevice() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        be.attach(dev.devId(), ioas);
        be.unbind(dev.devId());
        assertThat(be.liveObjects()).containsExactly(new BackendObject(IOAS, ioas));
    }

    @Test
    void unbind_releasesAnExplicitHwptForDestroy() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        be.attach(dev.devId(), hwpt);
        be.unbind(dev.devId());
        be.destroy(hwpt);
        assertThat(be.liveObjects()).containsExactly(new BackendObject(IOAS, ioas));
    }

    @Test
    void createDevice_rejectsADuplicateName() {
        be.createDevice(DeviceSpec.plain("vf0", DIRTY));
        assertThatThrownBy(() -> be.createDevice(DeviceSpec.plain("vf0", NO_DIRTY)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vf0");
    }

    @Test
    void createDevice_rejectsAnIommuIdDescribedTwoWays() {
        be.createDevice(DeviceSpec.plain("vf0", DIRTY));
        IommuSpec clash = selftestShaped(DIRTY.id(), "default", false, true);
        assertThatThrownBy(() -> be.createDevice(DeviceSpec.plain("vf1", clash)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("iommu0");
    }

    @Test
    void deviceRefs_listsCreatedDevicesInOrder() {
        be.createDevice(DeviceSpec.plain("b", DIRTY));
        be.createDevice(DeviceSpec.plain("a", DIRTY));
        assertThat(be.deviceRefs()).containsExactly("b", "a");
        assertThat(be.cannotCreate(DeviceSpec.plain("c", ARM))).isEmpty();
    }

    @Test
    void close_makesLaterCallsThrow() {
        be.ioasAlloc();
        be.close();
        assertThatThrownBy(be::ioasAlloc).isInstanceOf(IllegalStateException.class).hasMessage("backend closed");
        assertThatThrownBy(be::liveObjects).isInstanceOf(IllegalStateException.class).hasMessage("backend closed");
        assertThatThrownBy(() -> be.bind("x")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void concurrentCallers_neverShareOrLoseIds() throws Exception {
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < 500; i++) {
                        int id = be.ioasAlloc();
                        be.ioasMap(id, MEM, PAGE);
                        be.destroy(id);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(be.liveObjects()).isEmpty();
        assertThat(be.callCounts().get(io.github.iommufd4j.api.BackendOp.IOAS_ALLOC)).isEqualTo(2000L);
    }
}
