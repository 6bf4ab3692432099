package io.github.iommufd4j.kernellab;

import static io.github.iommufd4j.kernellab.Uapi.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Boot 1 proof (no vIOMMU): the kernel's iommufd selftest mock, reached with raw JNA ioctls on
 * /dev/iommu. Skips on a host without /dev/iommu; fails in the lab guest if it is missing.
 */
class SelftestMockKernelIT {
  private static final long MAP_IOVA = 0x1000000L; // start of the mock aperture (16 MiB)
  private static final long MOCK_PAGE = 2048; // mock IOPTE size on 4 KiB hosts

  private int fd = -1;

  @BeforeEach
  void open() {
    assumeTrue(inGuest() || present("/dev/iommu"), "no /dev/iommu on this host (run kernel-lab/run)");
    fd = Uapi.open("/dev/iommu");
  }

  @AfterEach
  void closeFd() {
    Uapi.close(fd);
  }

  /** MOCK_DOMAIN / MOCK_DOMAIN_FLAGS on {@code ioas}: returns {stdev, hwpt, idev}. */
  private int[] mockDomain(int ioas, int devFlags) {
    Memory m = struct(TEST_CMD_SIZE);
    m.setInt(4, devFlags == 0 ? TEST_OP_MOCK_DOMAIN : TEST_OP_MOCK_DOMAIN_FLAGS);
    m.setInt(8, ioas);
    m.setInt(28, devFlags);
    ok(fd, IOMMU_TEST_CMD, m, "IOMMU_TEST_CMD MOCK_DOMAIN(flags " + devFlags + ") on ioas " + ioas);
    return new int[] {m.getInt(16), m.getInt(20), m.getInt(24)};
  }

  @Test
  @DisplayName("K-ID-1 fresh fd: IOAS_ALLOC gives 1, MOCK_DOMAIN gives stdev 2, hwpt 4, idev 3")
  void kId1_freshFdHandsOutLowestIds() {
    int ioas = ioasAlloc(fd);
    int[] dev = mockDomain(ioas, 0);
    assertThat(ioas).isEqualTo(1);
    assertThat(dev).containsExactly(2, 4, 3);
  }

  @Test
  @DisplayName("K-HWI-3 GET_HW_INFO on a mock device: SELFTEST type, test_reg 0xdeadbeef, DIRTY_TRACKING cap")
  void kHwi3_mockHwInfo() {
    int[] dev = mockDomain(ioasAlloc(fd), 0);
    long[] info = hwInfo(fd, dev[2]);
    assertThat(info[0]).isEqualTo(HW_INFO_TYPE_SELFTEST & 0xffffffffL);
    assertThat(info[1] & HW_CAP_DIRTY_TRACKING).isEqualTo(HW_CAP_DIRTY_TRACKING);
    assertThat(info[2]).isEqualTo(8);
    assertThat(info[3]).isEqualTo(0xdeadbeefL);
  }

  @Test
  @DisplayName("K-ALLOC-6 HWPT_ALLOC(DIRTY_TRACKING) for a NO_DIRTY mock device is EOPNOTSUPP")
  void kAlloc6_dirtyAllocOnNoDirtyDeviceIsEopnotsupp() {
    int ioas = ioasAlloc(fd);
    int[] dev = mockDomain(ioas, MOCK_FLAGS_DEVICE_NO_DIRTY);
    assertThat(hwInfo(fd, dev[2])[1] & HW_CAP_DIRTY_TRACKING).isZero();
    int[] out = new int[1];
    assertThat(hwptAlloc(fd, dev[2], ioas, HWPT_ALLOC_DIRTY_TRACKING, out)).isEqualTo(EOPNOTSUPP);
    assertThat(hwptAlloc(fd, dev[2], ioas, 0, out)).isZero();
    assertThat(out[0]).isPositive();
  }

  @Test
  @DisplayName("K-SDT-4/K-GDB-6 dirty round trip: mark 64 mock pages, read 64 bits, read 0 after the clear")
  void kGdb6_dirtyBitmapRoundTrip() {
    int ioas = ioasAlloc(fd);
    int[] dev = mockDomain(ioas, 0);
    long length = 2L << 20;
    Pointer buf = pages(length);
    assertThat(ioasMap(fd, ioas, buf, length, MAP_IOVA, MAP_FIXED_IOVA | MAP_READABLE | MAP_WRITEABLE))
        .isEqualTo(MAP_IOVA);
    int[] hwpt = new int[1];
    assertThat(hwptAlloc(fd, dev[2], ioas, HWPT_ALLOC_DIRTY_TRACKING, hwpt)).isZero();

    Memory sdt = struct(16);
    sdt.setInt(4, 1);
    sdt.setInt(8, hwpt[0]);
    ok(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, sdt, "SET_DIRTY_TRACKING enable hwpt " + hwpt[0]);

    int pagesToMark = 64;
    Memory mark = new Memory(8);
    mark.setLong(0, -1L); // all 64 pages
    Memory dirty = struct(TEST_CMD_SIZE);
    dirty.setInt(4, TEST_OP_DIRTY);
    dirty.setInt(8, hwpt[0]);
    dirty.setLong(24, MAP_IOVA);
    dirty.setLong(32, pagesToMark * MOCK_PAGE);
    dirty.setLong(40, MOCK_PAGE);
    dirty.setLong(48, Pointer.nativeValue(mark));
    ok(fd, IOMMU_TEST_CMD, dirty, "IOMMU_TEST_CMD DIRTY");
    assertThat(dirty.getLong(56)).as("out_nr_dirty").isEqualTo(pagesToMark);

    assertThat(readBitmap(hwpt[0], pagesToMark)).isEqualTo(-1L);
    assertThat(readBitmap(hwpt[0], pagesToMark)).as("second read after the clear").isZero();
  }

  private long readBitmap(int hwpt, int pageCount) {
    Memory bits = new Memory(8);
    bits.clear();
    Memory m = struct(48);
    m.setInt(4, hwpt);
    m.setLong(16, MAP_IOVA);
    m.setLong(24, pageCount * MOCK_PAGE);
    m.setLong(32, MOCK_PAGE);
    m.setLong(40, Pointer.nativeValue(bits));
    ok(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, m, "GET_DIRTY_BITMAP hwpt " + hwpt);
    return bits.getLong(0);
  }
}
