package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwCap;
import io.github.iommufd4j.api.HwInfoType;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.backend.linux.sys.ScriptedIoctls;
import io.github.iommufd4j.backend.linux.sys.ScriptedIoctls.Call;
import io.github.iommufd4j.backend.linux.uapi.GetDirtyBitmap;
import io.github.iommufd4j.backend.linux.uapi.HwInfo;
import io.github.iommufd4j.backend.linux.uapi.HwptAlloc;
import io.github.iommufd4j.backend.linux.uapi.IoasAlloc;
import io.github.iommufd4j.backend.linux.uapi.IoasMap;
import io.github.iommufd4j.backend.linux.uapi.IoasUnmap;
import io.github.iommufd4j.backend.linux.uapi.IommuDestroy;
import io.github.iommufd4j.backend.linux.uapi.SetDirtyTracking;
import io.github.iommufd4j.backend.linux.uapi.VfioAttach;
import io.github.iommufd4j.backend.linux.uapi.VfioBind;
import io.github.iommufd4j.backend.linux.uapi.VfioDetach;
import io.github.iommufd4j.backend.linux.uapi.VfioFeature;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every command of the VFIO source through the scripted seam: the bytes sent and the answers decoded. */
class LinuxBackendTest {
    static final int IOMMUFD = 10; // the fake's first fd: /dev/iommu
    static final String PCI = "0000:00:03.0";

    @TempDir
    Path tmp;
    ScriptedIoctls sys;
    IommufdBackend backend;
    Path cdevDir;

    @BeforeEach
    void open() throws IOException {
        sys = new ScriptedIoctls();
        cdevDir = tmp.resolve("dev/vfio/devices");
        Files.createDirectories(cdevDir);
        backend = new LinuxBackendProvider(new LinuxHost(() -> sys, "/dev/iommu", tmp.resolve("sys"), cdevDir))
                .open(BackendOptions.empty());
    }

    @AfterEach
    void scriptConsumed() {
        assertThat(sys.scriptDone()).as("every scripted ioctl was made").isTrue();
    }

    private Call last() {
        return sys.calls().get(sys.calls().size() - 1);
    }

    @Test
    @DisplayName("IOAS_ALLOC sends a 12-byte struct with flags 0 on /dev/iommu and returns out_ioas_id")
    void ioasAllocSendsTwelveBytesAndReadsTheId() {
        sys.expect(IoasAlloc.REQUEST, (s, m) -> {
            s.putInt(IoasAlloc.OFF_OUT_IOAS_ID, 7);
            return 0;
        });
        assertThat(backend.ioasAlloc()).isEqualTo(7);
        Call c = last();
        assertThat(c.fd()).isEqualTo(IOMMUFD);
        assertThat(c.request()).isEqualTo(0x3b81);
        assertThat(c.sent()).hasSize(12);
        assertThat(c.intAt(IoasAlloc.OFF_SIZE)).isEqualTo(12);
        assertThat(c.intAt(IoasAlloc.OFF_FLAGS)).isZero();
        assertThat(backend.inventory().orElseThrow().liveObjects()).containsExactly(new BackendObject(BackendObject.Type.IOAS, 7));
    }

    @Test
    @DisplayName("IOAS_MAP maps backend-owned memory FIXED|READABLE|WRITEABLE at the iova; UNMAP frees it")
    void ioasMapProvidesGuestMemoryAndUnmapFreesIt() {
        long iova = 0x1000000L;
        long length = 2L << 20;
        sys.expect(IoasMap.REQUEST, (s, m) -> {
            assertThat(m.region(s.getLong(IoasMap.OFF_USER_VA)).size()).isEqualTo(length);
            return 0;
        });
        backend.ioasMap(3, iova, length);
        Call map = last();
        assertThat(map.request()).isEqualTo(0x3b85);
        assertThat(map.intAt(IoasMap.OFF_SIZE)).isEqualTo(40);
        assertThat(map.intAt(IoasMap.OFF_FLAGS)).isEqualTo(1 | 2 | 4);
        assertThat(map.intAt(IoasMap.OFF_IOAS_ID)).isEqualTo(3);
        assertThat(map.intAt(IoasMap.OFF_RESERVED)).isZero();
        assertThat(map.longAt(IoasMap.OFF_IOVA)).isEqualTo(iova);
        assertThat(map.longAt(IoasMap.OFF_LENGTH)).isEqualTo(length);
        assertThat(sys.liveRegions()).isEqualTo(1);

        sys.expect(IoasUnmap.REQUEST, (s, m) -> 0);
        backend.ioasUnmap(3, iova, length);
        Call unmap = last();
        assertThat(unmap.sent()).hasSize(24);
        assertThat(unmap.intAt(IoasUnmap.OFF_IOAS_ID)).isEqualTo(3);
        assertThat(unmap.longAt(IoasUnmap.OFF_IOVA)).isEqualTo(iova);
        assertThat(unmap.longAt(IoasUnmap.OFF_LENGTH)).isEqualTo(length);
        assertThat(sys.liveRegions()).isZero();
    }

    @Test
    @DisplayName("a failed IOAS_MAP frees its guest memory and reports EEXIST with the arguments")
    void failedMapRollsBackTheMemory() {
        sys.expectErrno(IoasMap.REQUEST, Errno.EEXIST.number());
        assertThatThrownBy(() -> backend.ioasMap(3, 0x2000000L, 0x1000))
                .isInstanceOfSatisfying(IommufdException.class, e -> {
                    assertThat(e.op()).isEqualTo(BackendOp.IOAS_MAP);
                    assertThat(e.errno()).isEqualTo(Errno.EEXIST);
                    assertThat(e.getMessage()).contains("ioas 3").contains("0x2000000").contains("EEXIST");
                });
        assertThat(sys.liveRegions()).isZero();
    }

    @Test
    @DisplayName("unmapping everything (iova 0, length U64_MAX) frees every area of that IOAS only")
    void unmapAllFreesEveryArea() {
        sys.expect(IoasMap.REQUEST, (s, m) -> 0).expect(IoasMap.REQUEST, (s, m) -> 0).expect(IoasMap.REQUEST, (s, m) -> 0);
        backend.ioasMap(1, 0x1000000L, 0x1000);
        backend.ioasMap(1, 0x2000000L, 0x2000);
        backend.ioasMap(2, 0x1000000L, 0x1000);
        sys.expect(IoasUnmap.REQUEST, (s, m) -> 0);
        backend.ioasUnmap(1, 0, -1L);
        assertThat(sys.liveRegions()).isEqualTo(1);
        assertThat(last().longAt(IoasUnmap.OFF_LENGTH)).isEqualTo(-1L);
    }

    @Test
    @DisplayName("K-DES-2 DESTROY answers EBUSY with a hint; an errno not in Errno keeps its number")
    void destroyErrnoMapping() {
        sys.expectErrno(IommuDestroy.REQUEST, 16);
        assertThatThrownBy(() -> backend.destroy(4)).isInstanceOfSatisfying(IommufdException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.EBUSY);
            assertThat(e.getMessage()).startsWith("DESTROY(id 4) failed: EBUSY").contains("still in use");
        });
        assertThat(last().sent()).hasSize(8);
        assertThat(last().intAt(IommuDestroy.OFF_ID)).isEqualTo(4);

        sys.expectErrno(IommuDestroy.REQUEST, 200);
        assertThatThrownBy(() -> backend.destroy(5)).isInstanceOfSatisfying(IommufdException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.UNKNOWN);
            assertThat(e.errnoNumber()).isEqualTo(200);
            assertThat(e.getMessage()).contains("errno 200");
        });
    }

    @Test
    @DisplayName("every errno number maps to the Errno of that number")
    void errnoNumbersMapOneToOne() {
        for (Errno expected : Errno.values()) {
            if (expected == Errno.UNKNOWN) {
                continue;
            }
            sys.expectErrno(IoasAlloc.REQUEST, expected.number());
            assertThatThrownBy(() -> backend.ioasAlloc()).isInstanceOfSatisfying(IommufdException.class,
                    e -> assertThat(e.errno()).isEqualTo(expected));
        }
    }

    @Test
    @DisplayName("K-GEN-4 HWPT_ALLOC sends the 24-byte struct with the flags, __reserved zero, and reads out_hwpt_id")
    void hwptAllocSendsTheSmallestStruct() {
        sys.expect(HwptAlloc.REQUEST, (s, m) -> {
            s.putInt(HwptAlloc.OFF_OUT_HWPT_ID, 9);
            return 0;
        });
        assertThat(backend.hwptAlloc(3, 1, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING))).isEqualTo(9);
        Call c = last();
        assertThat(c.request()).isEqualTo(0x3b89);
        assertThat(c.sent()).hasSize(24);
        assertThat(c.intAt(HwptAlloc.OFF_FLAGS)).isEqualTo(2);
        assertThat(c.intAt(HwptAlloc.OFF_DEV_ID)).isEqualTo(3);
        assertThat(c.intAt(HwptAlloc.OFF_PT_ID)).isEqualTo(1);
        assertThat(c.intAt(HwptAlloc.OFF_RESERVED)).isZero();
        assertThat(backend.inventory().orElseThrow().liveObjects()).contains(new BackendObject(BackendObject.Type.HWPT, 9));
    }

    @Test
    @DisplayName("K-ALLOC-6 HWPT_ALLOC EOPNOTSUPP names the call and the dirty-tracking cause")
    void hwptAllocEopnotsuppMessage() {
        sys.expectErrno(HwptAlloc.REQUEST, Errno.EOPNOTSUPP.number());
        assertThatThrownBy(() -> backend.hwptAlloc(3, 1, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING)))
                .hasMessageStartingWith("HWPT_ALLOC(dev 3, ioas 1, [DIRTY_TRACKING]) failed: EOPNOTSUPP")
                .hasMessageContaining("K-ALLOC-6");
        assertThat(backend.inventory().orElseThrow().liveObjects()).isEmpty();
    }

    @Test
    @DisplayName("K-HWI-3 GET_HW_INFO retries with the kernel's data_len when the buffer was too small")
    void hwInfoRetriesBigger() {
        byte[] vendor = new byte[300];
        new SplittableRandom(42).nextBytes(vendor);
        sys.expect(HwInfo.REQUEST, (s, m) -> {
            assertThat(s.getInt(HwInfo.OFF_DATA_LEN)).isEqualTo(256);
            byte[] head = java.util.Arrays.copyOf(vendor, 256);
            m.region(s.getLong(HwInfo.OFF_DATA_UPTR)).write(0, head);
            s.putInt(HwInfo.OFF_DATA_LEN, 300);
            return 0;
        }).expect(HwInfo.REQUEST, (s, m) -> {
            assertThat(s.getInt(HwInfo.OFF_DATA_LEN)).isEqualTo(300);
            m.region(s.getLong(HwInfo.OFF_DATA_UPTR)).write(0, vendor);
            s.putInt(HwInfo.OFF_OUT_DATA_TYPE, 0xfeedbeef);
            s.putLong(HwInfo.OFF_OUT_CAPABILITIES, 1);
            return 0;
        });
        HostIommuDevice info = backend.getHwInfo(3);
        assertThat(info.vendorData()).isEqualTo(vendor);
        assertThat(info.hwInfoType()).isEqualTo(HwInfoType.SELFTEST);
        assertThat(info.capabilities().contains(HwCap.DIRTY_TRACKING)).isTrue();
        assertThat(sys.allocationSizes()).containsExactly(256L, 300L);
        assertThat(sys.liveRegions()).isZero();
        Call c = last();
        assertThat(c.request()).isEqualTo(0x3b8a);
        assertThat(c.sent()).hasSize(40);
        assertThat(c.intAt(HwInfo.OFF_DEV_ID)).isEqualTo(3);
        assertThat(c.intAt(HwInfo.OFF_FLAGS)).isZero();
    }

    @Test
    @DisplayName("K-HWI-3 GET_HW_INFO keeps exactly data_len bytes of driver data")
    void hwInfoTrimsToKernelLength() {
        sys.expect(HwInfo.REQUEST, (s, m) -> {
            m.region(s.getLong(HwInfo.OFF_DATA_UPTR)).write(0, new byte[] {0, 0, 0, 0, (byte) 0xef, (byte) 0xbe, (byte) 0xad, (byte) 0xde});
            s.putInt(HwInfo.OFF_DATA_LEN, 8);
            s.putInt(HwInfo.OFF_OUT_DATA_TYPE, 1);
            return 0;
        });
        HostIommuDevice info = backend.getHwInfo(5);
        assertThat(info.vendorData()).hasSize(8);
        assertThat(java.nio.ByteBuffer.wrap(info.vendorData()).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(4)).isEqualTo(0xdeadbeef);
        assertThat(info.hwInfoType()).isEqualTo(HwInfoType.INTEL_VTD);
        assertThat(info.supportsDirtyTracking()).isFalse();
    }

    @Test
    @DisplayName("GET_HW_INFO refuses driver data over 64 KiB instead of allocating what the kernel says")
    void hwInfoBounded() {
        sys.expect(HwInfo.REQUEST, (s, m) -> {
            s.putInt(HwInfo.OFF_DATA_LEN, 70_000);
            return 0;
        });
        assertThatThrownBy(() -> backend.getHwInfo(3)).isInstanceOf(IllegalStateException.class).hasMessageContaining("70000");
        assertThat(sys.liveRegions()).isZero();
    }

    @Test
    @DisplayName("K-GDB-6 GET_DIRTY_BITMAP sizes the buffer ceil(length/page/64)*8 and ORs the kernel's words in")
    void dirtyBitmapSizedFromTheRequest() {
        long length = (2L << 20) + 4096; // 513 pages of 4 KiB: 9 words
        DirtyBitmap into = DirtyBitmap.forRange(length, 4096);
        into.set(1);
        sys.expect(GetDirtyBitmap.REQUEST, (s, m) -> {
            var region = m.region(s.getLong(GetDirtyBitmap.OFF_DATA));
            assertThat(region.size()).isEqualTo(72);
            region.putLong(0, 0b101L);
            region.putLong(64, 1L);
            return 0;
        });
        backend.getDirtyBitmap(4, 0x1000000L, length, 4096, true, into);
        assertThat(into.cardinality()).isEqualTo(4);
        assertThat(into.get(0)).isTrue();
        assertThat(into.get(1)).as("bits already set are kept (OR)").isTrue();
        assertThat(into.get(2)).isTrue();
        assertThat(into.get(512)).isTrue();
        Call c = last();
        assertThat(c.request()).isEqualTo(0x3b8c);
        assertThat(c.sent()).hasSize(48);
        assertThat(c.intAt(GetDirtyBitmap.OFF_HWPT_ID)).isEqualTo(4);
        assertThat(c.intAt(GetDirtyBitmap.OFF_FLAGS)).isEqualTo(1);
        assertThat(c.longAt(GetDirtyBitmap.OFF_IOVA)).isEqualTo(0x1000000L);
        assertThat(c.longAt(GetDirtyBitmap.OFF_LENGTH)).isEqualTo(length);
        assertThat(c.longAt(GetDirtyBitmap.OFF_PAGE_SIZE)).isEqualTo(4096);
        assertThat(sys.liveRegions()).isZero();
    }

    @Test
    @DisplayName("a bitmap with fewer bits than the range has pages is rejected before any native call")
    void tooSmallBitmapRejectedBeforeTheCall() {
        assertThatThrownBy(() -> backend.getDirtyBitmap(4, 0, 1L << 21, 4096, false, new DirtyBitmap(511)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("512 pages").hasMessageContaining("511");
        assertThat(sys.calls()).isEmpty();
        assertThat(sys.allocationSizes()).isEmpty();
    }

    @Test
    @DisplayName("a range too large for any DirtyBitmap is rejected before allocating or calling")
    void oversizedRangeRejectedBeforeTheCall() {
        assertThatThrownBy(() -> backend.getDirtyBitmap(4, 0, -1L, 1, false, new DirtyBitmap(64)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than a DirtyBitmap holds");
        assertThatThrownBy(() -> backend.dmaLoggingReport(1, 0, Long.MAX_VALUE, 2, new DirtyBitmap(64)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(sys.calls()).isEmpty();
        assertThat(sys.allocationSizes()).isEmpty();
    }

    @Test
    @DisplayName("a page size that is not a power of two is rejected before allocating or calling (the kernel would"
            + " address the bitmap by its lowest set bit and write past the buffer)")
    void pageSizeNotAPowerOfTwoRejectedBeforeTheCall() {
        // 0x600000 at 0x3000: 512 pages as asked, 1536 in the kernel's 4 KiB addressing
        assertThatThrownBy(() -> backend.getDirtyBitmap(4, 0x1800000L, 0x600000L, 0x3000, false, new DirtyBitmap(512)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("page size 0x3000 is not a power of two")
                .hasMessageContaining("0x1000");
        assertThat(sys.calls()).isEmpty();
        assertThat(sys.allocationSizes()).isEmpty();
    }

    @Test
    @DisplayName("K-GDB-4 page size 0 goes to the kernel, whose EINVAL is reported")
    void pageSizeZeroIsTheKernelsEinval() {
        sys.expectErrno(GetDirtyBitmap.REQUEST, Errno.EINVAL.number());
        assertThatThrownBy(() -> backend.getDirtyBitmap(4, 0, 4096, 0, false, new DirtyBitmap(1)))
                .isInstanceOfSatisfying(IommufdException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    }

    @Test
    @DisplayName("SET_DIRTY_TRACKING sends ENABLE (1) or 0 in a 16-byte struct")
    void setDirtyTrackingEncoding() {
        sys.expect(SetDirtyTracking.REQUEST, (s, m) -> 0).expect(SetDirtyTracking.REQUEST, (s, m) -> 0);
        backend.setDirtyTracking(6, true);
        assertThat(last().intAt(SetDirtyTracking.OFF_FLAGS)).isEqualTo(1);
        assertThat(last().intAt(SetDirtyTracking.OFF_HWPT_ID)).isEqualTo(6);
        assertThat(last().sent()).hasSize(16);
        backend.setDirtyTracking(6, false);
        assertThat(last().intAt(SetDirtyTracking.OFF_FLAGS)).isZero();
        assertThat(last().request()).isEqualTo(0x3b8b);
    }

    /** A PCI device bound to vfio-pci in a fake sysfs, with IOMMU dmar1 and group 7. */
    private Path fakeVfioPciDevice() throws IOException {
        Path sysfs = tmp.resolve("sys");
        Path dev = sysfs.resolve("bus/pci/devices").resolve(PCI);
        Files.createDirectories(dev.resolve("vfio-dev/vfio0"));
        Path iommus = Files.createDirectories(sysfs.resolve("devices/virtual/iommu/dmar1"));
        Path groups = Files.createDirectories(sysfs.resolve("kernel/iommu_groups/7"));
        Files.createSymbolicLink(dev.resolve("iommu"), iommus);
        Files.createSymbolicLink(dev.resolve("iommu_group"), groups);
        Files.createFile(cdevDir.resolve("vfio0"));
        return cdevDir.resolve("vfio0");
    }

    private BoundDevice bindVfio(int deviceFd, int devId) throws IOException {
        Path cdev = fakeVfioPciDevice();
        sys.onOpen(cdev.toString(), deviceFd);
        sys.expect(VfioBind.REQUEST, (s, m) -> {
            assertThat(s.getInt(VfioBind.OFF_IOMMUFD)).isEqualTo(IOMMUFD);
            s.putInt(VfioBind.OFF_OUT_DEVID, devId);
            return 0;
        }).expect(VfioFeature.REQUEST, (s, m) -> {
            assertThat(s.getInt(VfioFeature.OFF_FLAGS)).isEqualTo(VfioFeature.FLAG_GET | VfioFeature.FEATURE_MIGRATION);
            s.putLong(VfioFeature.OFF_DATA + VfioFeature.MIG_OFF_FLAGS, VfioFeature.MIGRATION_STOP_COPY | VfioFeature.MIGRATION_P2P);
            return 0;
        }).expect(VfioFeature.REQUEST, (s, m) -> {
            assertThat(s.size()).isEqualTo(8);
            assertThat(s.getInt(VfioFeature.OFF_FLAGS))
                    .isEqualTo(VfioFeature.FLAG_PROBE | VfioFeature.FLAG_SET | VfioFeature.FEATURE_DMA_LOGGING_START);
            return 0;
        });
        return backend.bind(PCI);
    }

    @Test
    @DisplayName("BIND of a PCI address opens /dev/vfio/devices/vfioN, reads out_devid, probes features and reads sysfs")
    void bindVfioByPciAddress() throws IOException {
        BoundDevice d = bindVfio(42, 5);
        assertThat(d.devId()).isEqualTo(5);
        assertThat(d.name()).isEqualTo(PCI);
        assertThat(d.mdev()).isFalse();
        assertThat(d.features().migration()).isTrue();
        assertThat(d.features().p2p()).isTrue();
        assertThat(d.features().dmaLogging()).isTrue();
        assertThat(d.iommuInstance()).isEqualTo("dmar1");
        assertThat(d.group()).isEqualTo("7");
        Call bind = sys.calls().get(0);
        assertThat(bind.fd()).isEqualTo(42);
        assertThat(bind.request()).isEqualTo(0x3b76);
        assertThat(bind.sent()).hasSize(16);
        assertThat(bind.intAt(VfioBind.OFF_FLAGS)).isZero();
        assertThat(sys.calls().get(1).request()).isEqualTo(0x3b75);
        assertThat(sys.calls().get(1).sent()).hasSize(16);
        assertThat(backend.deviceRefs()).containsExactly(cdevDir.resolve("vfio0").toString());
    }

    @Test
    @DisplayName("a failed BIND closes the device fd it opened")
    void failedBindClosesTheFd() throws IOException {
        Path cdev = fakeVfioPciDevice();
        sys.onOpen(cdev.toString(), 42).expectErrno(VfioBind.REQUEST, Errno.EBUSY.number());
        assertThatThrownBy(() -> backend.bind(cdev.toString()))
                .isInstanceOfSatisfying(IommufdException.class, e -> {
                    assertThat(e.op()).isEqualTo(BackendOp.BIND);
                    assertThat(e.errno()).isEqualTo(Errno.EBUSY);
                });
        assertThat(sys.closedFds()).containsExactly(42);
        assertThat(backend.inventory().orElseThrow().liveObjects()).isEmpty();
    }

    @Test
    @DisplayName("a PCI address without a vfio-dev entry is ENOENT with a hint about vfio-pci")
    void pciAddressNotBoundToVfio() {
        assertThatThrownBy(() -> backend.bind("0000:00:04.0")).isInstanceOfSatisfying(IommufdException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.ENOENT);
            assertThat(e.getMessage()).contains("vfio-pci");
        });
        assertThat(sys.calls()).isEmpty();
    }

    @Test
    @DisplayName("K-ATT-4 ATTACH to an IOAS returns the auto domain written back; DETACH sends 8 bytes; inventory follows")
    void attachAndDetachVfio() throws IOException {
        bindVfio(42, 5);
        sys.expect(VfioAttach.REQUEST, (s, m) -> {
            s.putInt(VfioAttach.OFF_PT_ID, 8);
            return 0;
        });
        assertThat(backend.attach(5, 1)).isEqualTo(8);
        Call attach = last();
        assertThat(attach.fd()).isEqualTo(42);
        assertThat(attach.request()).isEqualTo(0x3b77);
        assertThat(attach.sent()).hasSize(12);
        assertThat(attach.intAt(VfioAttach.OFF_PT_ID)).isEqualTo(1);
        assertThat(backend.inventory().orElseThrow().liveObjects()).containsExactly(
                new BackendObject(BackendObject.Type.DEVICE, 5), new BackendObject(BackendObject.Type.HWPT, 8));

        sys.expect(VfioDetach.REQUEST, (s, m) -> 0);
        backend.detach(5);
        assertThat(last().request()).isEqualTo(0x3b78);
        assertThat(last().sent()).hasSize(8);
        assertThat(last().intAt(VfioDetach.OFF_FLAGS)).isZero();
        assertThat(backend.inventory().orElseThrow().liveObjects()).containsExactly(new BackendObject(BackendObject.Type.DEVICE, 5));
    }

    @Test
    @DisplayName("K-ATT-2 ATTACH EINVAL says the domain is incompatible; an unknown device is ENOENT without a call")
    void attachErrors() throws IOException {
        bindVfio(42, 5);
        sys.expectErrno(VfioAttach.REQUEST, Errno.EINVAL.number());
        assertThatThrownBy(() -> backend.attach(5, 9)).hasMessageContaining("ATTACH(dev 5, pt 9) failed: EINVAL")
                .hasMessageContaining("incompatible");
        int before = sys.calls().size();
        assertThatThrownBy(() -> backend.attach(77, 9)).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        assertThat(sys.calls()).hasSize(before);
    }

    @Test
    @DisplayName("DMA logging start, report and stop carry the control, range table and report structs")
    void dmaLoggingEncoding() throws IOException {
        bindVfio(42, 5);
        List<IovaRange> ranges = List.of(new IovaRange(0x1000000L, 0x200000L), new IovaRange(0x4000000L, 0x1000L));
        sys.expect(VfioFeature.REQUEST, (s, m) -> {
            assertThat(s.size()).isEqualTo(8 + 24);
            assertThat(s.getInt(VfioFeature.OFF_FLAGS)).isEqualTo(VfioFeature.FLAG_SET | 6);
            assertThat(s.getLong(8 + VfioFeature.CTL_OFF_PAGE_SIZE)).isEqualTo(4096);
            assertThat(s.getInt(8 + VfioFeature.CTL_OFF_NUM_RANGES)).isEqualTo(2);
            assertThat(s.getInt(8 + VfioFeature.CTL_OFF_RESERVED)).isZero();
            var table = m.region(s.getLong(8 + VfioFeature.CTL_OFF_RANGES));
            assertThat(table.size()).isEqualTo(32);
            assertThat(table.getLong(0)).isEqualTo(0x1000000L);
            assertThat(table.getLong(8)).isEqualTo(0x200000L);
            assertThat(table.getLong(16)).isEqualTo(0x4000000L);
            assertThat(table.getLong(24)).isEqualTo(0x1000L);
            return 0;
        });
        backend.dmaLoggingStart(5, ranges, 4096);

        DirtyBitmap into = DirtyBitmap.forRange(0x200000L, 4096);
        sys.expect(VfioFeature.REQUEST, (s, m) -> {
            assertThat(s.size()).isEqualTo(8 + 32);
            assertThat(s.getInt(VfioFeature.OFF_FLAGS)).isEqualTo(VfioFeature.FLAG_GET | 8);
            assertThat(s.getLong(8 + VfioFeature.REPORT_OFF_IOVA)).isEqualTo(0x1000000L);
            assertThat(s.getLong(8 + VfioFeature.REPORT_OFF_LENGTH)).isEqualTo(0x200000L);
            assertThat(s.getLong(8 + VfioFeature.REPORT_OFF_PAGE_SIZE)).isEqualTo(4096);
            var bitmap = m.region(s.getLong(8 + VfioFeature.REPORT_OFF_BITMAP));
            assertThat(bitmap.size()).isEqualTo(64);
            bitmap.putLong(56, 1L << 63);
            return 0;
        });
        backend.dmaLoggingReport(5, 0x1000000L, 0x200000L, 4096, into);
        assertThat(into.cardinality()).isEqualTo(1);
        assertThat(into.get(511)).isTrue();

        sys.expect(VfioFeature.REQUEST, (s, m) -> {
            assertThat(s.size()).isEqualTo(8);
            assertThat(s.getInt(VfioFeature.OFF_FLAGS)).isEqualTo(VfioFeature.FLAG_SET | 7);
            return 0;
        });
        backend.dmaLoggingStop(5);
        assertThat(sys.liveRegions()).isZero();
        assertThat(sys.calls()).allSatisfy(c -> assertThat(c.fd()).isEqualTo(42));
    }

    @Test
    @DisplayName("a device without DMA logging answers the probe with ENOTTY: dmaLogging false, migration false on EINVAL")
    void featureProbesFailing() throws IOException {
        Path cdev = fakeVfioPciDevice();
        sys.onOpen(cdev.toString(), 42)
                .expect(VfioBind.REQUEST, (s, m) -> {
                    s.putInt(VfioBind.OFF_OUT_DEVID, 3);
                    return 0;
                })
                .expectErrno(VfioFeature.REQUEST, Errno.EINVAL.number())
                .expectErrno(VfioFeature.REQUEST, Errno.ENOTTY.number());
        BoundDevice d = backend.bind(cdev.toString());
        assertThat(d.features().migration()).isFalse();
        assertThat(d.features().p2p()).isFalse();
        assertThat(d.features().dmaLogging()).isFalse();
        assertThat(d.name()).as("no /sys/class/vfio-dev link: the cdev name").isEqualTo("vfio0");
        assertThat(d.iommuInstance()).isNull();
    }

    @Test
    @DisplayName("close closes every device fd, then /dev/iommu, and frees all guest memory; later calls fail")
    void closeReleasesEverything() throws IOException {
        bindVfio(42, 5);
        sys.expect(IoasMap.REQUEST, (s, m) -> 0);
        backend.ioasMap(1, 0x1000000L, 0x1000);
        backend.close();
        assertThat(sys.closedFds()).containsExactly(42, IOMMUFD);
        assertThat(sys.liveRegions()).isZero();
        assertThatThrownBy(() -> backend.ioasAlloc()).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        backend.close(); // idempotent
        assertThat(sys.closedFds()).hasSize(2);
    }

    @Test
    @DisplayName("unbind closes the device fd and forgets the device")
    void unbindClosesTheFd() throws IOException {
        bindVfio(42, 5);
        backend.unbind(5);
        assertThat(sys.closedFds()).containsExactly(42);
        assertThat(backend.inventory().orElseThrow().liveObjects()).isEmpty();
        assertThatThrownBy(() -> backend.unbind(5)).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    @DisplayName("the vfio source has neither provisioning nor DMA simulation; it has an inventory")
    void vfioAbilities() {
        assertThat(backend.provisioning()).isEmpty();
        assertThat(backend.dmaSimulation()).isEmpty();
        assertThat(backend.inventory()).isPresent();
        assertThat(backend.providerName()).isEqualTo("linux");
    }

    @Test
    @DisplayName("the devices option lists exactly the given refs")
    void devicesOption() {
        IommufdBackend b = new LinuxBackendProvider(new LinuxHost(() -> sys, "/dev/iommu", tmp.resolve("sys"), cdevDir))
                .open(BackendOptions.of(Map.of("devices", "0000:00:03.0, /dev/vfio/devices/vfio3")));
        assertThat(b.deviceRefs()).containsExactly("0000:00:03.0", "/dev/vfio/devices/vfio3");
    }
}
