package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** FaultInjection: failNth, clearFaults, callCounts; and "a failed call leaves nothing behind". */
class FaultInjectionTest extends MockTestSupport {

    @Test
    void theNthNextCallFailsAndOnlyThatOne() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        be.failNth(BackendOp.HWPT_ALLOC, 2, Errno.ENOMEM);
        int first = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        assertThatThrownBy(() -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none()))
                .isInstanceOfSatisfying(IommufdException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
                    assertThat(e.op()).isEqualTo(BackendOp.HWPT_ALLOC);
                    assertThat(e.getMessage()).isEqualTo("HWPT_ALLOC(dev 2, ioas 1, []) failed: ENOMEM"
                            + " - injected fault (call 2 of HWPT_ALLOC)");
                });
        int third = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        assertThat(third).isEqualTo(first + 1);
    }

    @Test
    void anInjectedFaultFiresBeforeValidation() {
        be.failNth(BackendOp.DESTROY, 1, Errno.EPERM);
        assertErrno(Errno.EPERM, () -> be.destroy(999));
        assertErrno(Errno.ENOENT, () -> be.destroy(999));
    }

    @Test
    void severalFaultsMayBePendingAtOnce() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        be.failNth(BackendOp.ATTACH, 1, Errno.EINVAL);
        be.failNth(BackendOp.ATTACH, 3, Errno.ENOMEM);
        be.failNth(BackendOp.IOAS_ALLOC, 1, Errno.ENOSPC);
        assertErrno(Errno.EINVAL, () -> be.attach(dev.devId(), ioas));
        be.attach(dev.devId(), ioas);
        assertErrno(Errno.ENOMEM, () -> be.attach(dev.devId(), ioas));
        be.attach(dev.devId(), ioas);
        assertErrno(Errno.ENOSPC, be::ioasAlloc);
    }

    @Test
    void anInjectedFaultChangesNothing() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        int home = be.attach(dev.devId(), ioas);
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        List<BackendObject> before = be.liveObjects();
        be.failNth(BackendOp.ATTACH, 1, Errno.ENOMEM);
        be.failNth(BackendOp.IOAS_MAP, 1, Errno.ENOMEM);
        be.failNth(BackendOp.UNBIND, 1, Errno.EIO);
        assertErrno(Errno.ENOMEM, () -> be.attach(dev.devId(), hwpt));
        assertErrno(Errno.ENOMEM, () -> be.ioasMap(ioas, MEM, PAGE));
        assertErrno(Errno.EIO, () -> be.unbind(dev.devId()));
        assertThat(be.liveObjects()).isEqualTo(before);
        assertErrno(Errno.EBUSY, () -> be.destroy(home)); // still on its auto domain
        be.ioasMap(ioas, MEM, PAGE); // the failed map mapped nothing
    }

    @Test
    void clearFaultsDropsPendingFaults() {
        be.failNth(BackendOp.IOAS_ALLOC, 1, Errno.ENOMEM);
        be.clearFaults();
        assertThat(be.ioasAlloc()).isEqualTo(1);
    }

    @Test
    void callCountsCountEveryCallFailedOnesIncluded() {
        int ioas = be.ioasAlloc();
        BoundDevice dev = device("vf0", DIRTY);
        assertErrno(Errno.ENOENT, () -> be.destroy(77));
        be.failNth(BackendOp.GET_HW_INFO, 1, Errno.EIO);
        assertErrno(Errno.EIO, () -> be.getHwInfo(dev.devId()));
        be.getHwInfo(dev.devId());
        be.attach(dev.devId(), ioas);
        be.unbind(dev.devId());
        assertErrno(Errno.ENOENT, () -> be.unbind(dev.devId()));
        assertThat(be.callCounts()).isEqualTo(Map.of(BackendOp.IOAS_ALLOC, 1L, BackendOp.BIND, 1L,
                BackendOp.DESTROY, 1L, BackendOp.GET_HW_INFO, 2L, BackendOp.ATTACH, 1L, BackendOp.UNBIND, 2L));
    }

    @Test
    void everyKernelCallMapsToItsOwnOperation() {
        int ioas = be.ioasAlloc();
        be.ioasMap(ioas, MEM, 16 * PAGE);
        be.ioasUnmap(ioas, MEM, 16 * PAGE);
        be.createDevice(new io.github.iommufd4j.api.DeviceSpec("vf0", DIRTY, false, true, true, true));
        BoundDevice dev = be.bind("vf0");
        be.getHwInfo(dev.devId());
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING));
        be.attach(dev.devId(), hwpt);
        be.setDirtyTracking(hwpt, true);
        be.getDirtyBitmap(hwpt, MEM, PAGE, PAGE, false, new io.github.iommufd4j.api.DirtyBitmap(1));
        be.dmaLoggingStart(dev.devId(), List.of(new io.github.iommufd4j.api.IovaRange(MEM, PAGE)), PAGE);
        be.dmaLoggingReport(dev.devId(), MEM, PAGE, PAGE, new io.github.iommufd4j.api.DirtyBitmap(1));
        be.dmaLoggingStop(dev.devId());
        be.detach(dev.devId());
        be.destroy(hwpt);
        be.unbind(dev.devId());
        for (BackendOp op : BackendOp.values()) {
            assertThat(be.callCounts().get(op)).as(op.name()).isEqualTo(1L);
        }
    }

    @Test
    void argumentsNoKernelCallCanExpressAreRejected() {
        assertThatThrownBy(() -> be.failNth(BackendOp.ATTACH, 0, Errno.EINVAL)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> be.failNth(BackendOp.ATTACH, -1, Errno.EINVAL)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> be.failNth(null, 1, Errno.EINVAL)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> be.failNth(BackendOp.ATTACH, 1, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> be.bind(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> be.dmaLoggingStart(1, null, PAGE)).isInstanceOf(NullPointerException.class);
        assertThat(be.callCounts()).isEmpty();
    }
}
