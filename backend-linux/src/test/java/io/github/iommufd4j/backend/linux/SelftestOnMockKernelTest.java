package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwCap;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.backend.linux.sys.MockKernelIoctls;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The selftest source over {@link MockKernelIoctls} answers the sequence measured on the kernel
 * ({@link SelftestKernelIT}), and frees every native buffer and fd it took.
 */
class SelftestOnMockKernelTest {
    static final long IOVA = 0x1000000L;
    static final long LENGTH = 2L << 20;
    static final long PAGE = 4096;
    static final IommuSpec DIRTY = new IommuSpec("mock", "selftest", true, true,
            SelftestSource.APERTURE_START, SelftestSource.APERTURE_LAST, PAGE / 2);
    static final IommuSpec NO_DIRTY = new IommuSpec("mock-nodirty", "selftest", false, true,
            SelftestSource.APERTURE_START, SelftestSource.APERTURE_LAST, PAGE / 2);

    final MockKernelIoctls sys = new MockKernelIoctls();

    private static BoundDevice device(IommufdBackend backend, String name, IommuSpec iommu) {
        DeviceProvisioning provisioning = backend.provisioning().orElseThrow();
        return backend.bind(provisioning.createDevice(DeviceSpec.plain(name, iommu)));
    }

    @Test
    @DisplayName("kernel-lab sequence: hw info, map, dirty HWPT, replace, tracking, DMA write, bitmap read and clear")
    void measuredDirtyTrackingSequence() {
        IommufdBackend backend = SelftestOnMockKernel.open(sys);
        int ioas = backend.ioasAlloc();
        BoundDevice dev = device(backend, "dev0", DIRTY);

        HostIommuDevice hw = backend.getHwInfo(dev.devId());
        assertThat(hw.hwInfoTypeCode()).isEqualTo(0xfeedbeef);
        assertThat(hw.capabilities().bits()).isEqualTo(HwCap.DIRTY_TRACKING.bit());
        assertThat(ByteBuffer.wrap(hw.vendorData()).order(ByteOrder.LITTLE_ENDIAN).getInt(4)).as("test_reg").isEqualTo(0xdeadbeef);

        backend.ioasMap(ioas, IOVA, LENGTH);
        int hwpt = backend.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING));
        assertThat(backend.attach(dev.devId(), hwpt)).isEqualTo(hwpt);
        backend.setDirtyTracking(hwpt, true);
        assertThat(backend.dmaSimulation().orElseThrow().dmaWrite(dev.devId(), IOVA, 64 * PAGE))
                .as("mock IOPTEs marked (IOPTE = page / 2)").isEqualTo(128);

        DirtyBitmap bitmap = DirtyBitmap.forRange(LENGTH, PAGE);
        backend.getDirtyBitmap(hwpt, IOVA, LENGTH, PAGE, false, bitmap);
        assertThat(bitmap.cardinality()).isEqualTo(64);
        assertThat(bitmap.nextClearBit(0)).isEqualTo(64);
        DirtyBitmap again = DirtyBitmap.forRange(LENGTH, PAGE);
        backend.getDirtyBitmap(hwpt, IOVA, LENGTH, PAGE, false, again);
        assertThat(again.isEmpty()).as("K-GDB-6 the first read cleared the bits").isTrue();

        assertThatThrownBy(() -> backend.destroy(hwpt)).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
        backend.detach(dev.devId());
        backend.detach(dev.devId());
        backend.destroy(hwpt);
        backend.ioasUnmap(ioas, 0, -1L);
        backend.destroy(ioas);
        backend.unbind(dev.devId());
        assertThat(backend.inventory().orElseThrow().liveObjects()).isEmpty();
        assertThat(sys.liveRegions()).as("guest memory and buffers freed").isZero();
        backend.close();
        assertThat(sys.openFds()).isZero();
    }

    @Test
    @DisplayName("K-ALLOC-6 and K-ATT-2 on a NO_DIRTY device; close releases what is left and frees everything")
    void noDirtyDeviceAndClose() {
        IommufdBackend backend = SelftestOnMockKernel.open(sys);
        int ioas = backend.ioasAlloc();
        BoundDevice dirty = device(backend, "dev0", DIRTY);
        BoundDevice plain = device(backend, "dev1", NO_DIRTY);
        assertThat(backend.getHwInfo(plain.devId()).supportsDirtyTracking()).isFalse();
        assertThatThrownBy(() -> backend.hwptAlloc(plain.devId(), ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING)))
                .isInstanceOfSatisfying(IommufdException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP));
        int hwpt = backend.hwptAlloc(dirty.devId(), ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING));
        assertThatThrownBy(() -> backend.attach(plain.devId(), hwpt))
                .isInstanceOfSatisfying(IommufdException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        backend.ioasMap(ioas, IOVA, LENGTH);
        backend.attach(dirty.devId(), hwpt);
        assertThat(backend.inventory().orElseThrow().liveObjects()).containsExactlyInAnyOrder(
                new BackendObject(BackendObject.Type.IOAS, ioas), new BackendObject(BackendObject.Type.HWPT, hwpt),
                new BackendObject(BackendObject.Type.DEVICE, dirty.devId()), new BackendObject(BackendObject.Type.DEVICE, plain.devId()));
        backend.close();
        assertThat(sys.liveRegions()).isZero();
        assertThat(sys.openFds()).isZero();
    }
}
