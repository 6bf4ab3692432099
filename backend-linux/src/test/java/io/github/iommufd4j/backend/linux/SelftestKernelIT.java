package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BackendUnavailableException;
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
import io.github.iommufd4j.backend.linux.sys.JnaIoctls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The real kernel's selftest mock ({@code CONFIG_IOMMUFD_TEST}), mirroring the sequence measured in
 * {@code kernel-lab/README.md}. Skipped (with the reason) where {@code /dev/iommu} is missing or the kernel has no
 * {@code IOMMU_TEST_CMD}; run inside the kernel-lab VM with the JUnit console launcher (see README.md).
 */
@Tag("kernel")
class SelftestKernelIT {
    static final long IOVA = 0x1000000L;
    static final long LENGTH = 2L << 20;

    IommufdBackend backend;
    DeviceProvisioning provisioning;
    /** The selftest mock's IOMMUs on this host (the IOPTE size is half the host page). */
    IommuSpec dirtyIommu;
    IommuSpec noDirtyIommu;

    @BeforeEach
    void openSelftestBackend() {
        KernelTestGate.require(Files.exists(Path.of("/dev/iommu")), "/dev/iommu is missing: not a kernel with CONFIG_IOMMUFD");
        LinuxBackendProvider provider = new LinuxBackendProvider();
        Availability a = provider.availability();
        KernelTestGate.require(a.available(), "linux backend unavailable: " + a.reason());
        try {
            backend = provider.open(BackendOptions.of(Map.of("source", "selftest")));
        } catch (BackendUnavailableException e) {
            KernelTestGate.require(false, e.getMessage());
        }
        provisioning = backend.provisioning().orElseThrow();
        long iopte = JnaIoctls.get().pageSize() / 2;
        dirtyIommu = new IommuSpec("mock", "selftest", true, true, SelftestSource.APERTURE_START, SelftestSource.APERTURE_LAST, iopte);
        noDirtyIommu = new IommuSpec("mock-nodirty", "selftest", false, true, SelftestSource.APERTURE_START,
                SelftestSource.APERTURE_LAST, iopte);
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private BoundDevice device(String name, IommuSpec iommu) {
        return backend.bind(provisioning.createDevice(DeviceSpec.plain(name, iommu)));
    }

    @Test
    @DisplayName("kernel-lab sequence: hw info, map, dirty HWPT, replace, tracking, DMA write, bitmap read and clear")
    void measuredDirtyTrackingSequence() {
        int ioas = backend.ioasAlloc();
        BoundDevice dev = device("dev0", dirtyIommu);

        HostIommuDevice hw = backend.getHwInfo(dev.devId());
        assertThat(hw.hwInfoTypeCode()).isEqualTo(0xfeedbeef);
        assertThat(hw.capabilities().bits()).isEqualTo(HwCap.DIRTY_TRACKING.bit());
        assertThat(hw.vendorData()).hasSize(8);
        assertThat(ByteBuffer.wrap(hw.vendorData()).order(ByteOrder.nativeOrder()).getInt(4)).as("test_reg").isEqualTo(0xdeadbeef);

        backend.ioasMap(ioas, IOVA, LENGTH);
        int hwpt = backend.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING));
        assertThat(backend.attach(dev.devId(), hwpt)).isEqualTo(hwpt);
        backend.setDirtyTracking(hwpt, true);

        long page = JnaIoctls.get().pageSize();
        long written = backend.dmaSimulation().orElseThrow().dmaWrite(dev.devId(), IOVA, 64 * page);
        assertThat(written).as("mock IOPTEs marked (IOPTE = page / 2)").isEqualTo(64 * page / (page / 2));

        DirtyBitmap bitmap = DirtyBitmap.forRange(LENGTH, page);
        backend.getDirtyBitmap(hwpt, IOVA, LENGTH, page, false, bitmap);
        assertThat(bitmap.cardinality()).isEqualTo(64);
        assertThat(bitmap.nextClearBit(0)).isEqualTo(64);

        DirtyBitmap again = DirtyBitmap.forRange(LENGTH, page);
        backend.getDirtyBitmap(hwpt, IOVA, LENGTH, page, false, again);
        assertThat(again.isEmpty()).as("K-GDB-6 the first read cleared the bits").isTrue();

        // K-DES-2: the HWPT cannot go while the device is on it.
        assertThatThrownBy(() -> backend.destroy(hwpt)).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
        backend.detach(dev.devId());
        backend.detach(dev.devId()); // idempotent
        backend.destroy(hwpt);
        backend.ioasUnmap(ioas, 0, -1L);
        backend.destroy(ioas);
        backend.unbind(dev.devId());
        assertThat(backend.inventory().orElseThrow().liveObjects()).isEmpty();
    }

    @Test
    @DisplayName("K-ALLOC-6 HWPT_ALLOC(DIRTY_TRACKING) for a NO_DIRTY device is EOPNOTSUPP; K-ATT-2 replacing it onto a dirty HWPT is EINVAL")
    void kAlloc6AndKAtt2OnANoDirtyDevice() {
        int ioas = backend.ioasAlloc();
        BoundDevice dirty = device("dev0", dirtyIommu);
        BoundDevice plain = device("dev1", noDirtyIommu);
        assertThat(backend.getHwInfo(plain.devId()).supportsDirtyTracking()).isFalse();

        assertThatThrownBy(() -> backend.hwptAlloc(plain.devId(), ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING)))
                .isInstanceOfSatisfying(IommufdException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP));

        int hwpt = backend.hwptAlloc(dirty.devId(), ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING));
        assertThatThrownBy(() -> backend.attach(plain.devId(), hwpt))
                .isInstanceOfSatisfying(IommufdException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));

        // A dirty-capable device is accepted on a HWPT without tracking.
        int plainHwpt = backend.hwptAlloc(plain.devId(), ioas, HwptAllocFlag.none());
        assertThat(backend.attach(dirty.devId(), plainHwpt)).isEqualTo(plainHwpt);
        backend.detach(dirty.devId());
        backend.destroy(plainHwpt);
        backend.destroy(hwpt);
        backend.destroy(ioas);
    }

    @Test
    @DisplayName("K-ID-1 inventory lists what the caller made, not the parking IOAS; close with live objects leaks nothing")
    void inventoryAndLeakFreeClose() {
        int ioas = backend.ioasAlloc();
        BoundDevice dev = device("dev0", dirtyIommu);
        backend.ioasMap(ioas, IOVA, LENGTH);
        int hwpt = backend.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
        backend.attach(dev.devId(), hwpt);
        assertThat(backend.inventory().orElseThrow().liveObjects()).containsExactlyInAnyOrder(
                new BackendObject(BackendObject.Type.IOAS, ioas), new BackendObject(BackendObject.Type.HWPT, hwpt),
                new BackendObject(BackendObject.Type.DEVICE, dev.devId()));
        backend.close(); // destroys the mock device, closes the fd, munmaps guest memory
        backend = null;

        // A fresh fd starts again at id 1 (K-ID-1): nothing of the closed one lingers in it.
        IommufdBackend fresh = new LinuxBackendProvider().open(BackendOptions.of(Map.of("source", "selftest")));
        try {
            assertThat(fresh.ioasAlloc()).isEqualTo(1);
        } finally {
            fresh.close();
        }
    }
}
