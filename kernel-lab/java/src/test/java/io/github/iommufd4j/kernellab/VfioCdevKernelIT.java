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
 * Boot 2 proof (q35 + emulated VT-d, QEMU's edu device bound to vfio-pci): the real VFIO cdev path through
 * /dev/vfio/devices/vfio0 with raw JNA ioctls. Skips on a host without the device; fails in the lab guest.
 */
class VfioCdevKernelIT {
  static final String DEVICE = System.getProperty("kernellab.vfioDevice", "/dev/vfio/devices/vfio0");

  private int iommufd = -1;
  private int devfd = -1;
  private int devId;

  @BeforeEach
  void bind() {
    assumeTrue(inGuest() || present(DEVICE), "no " + DEVICE + " on this host (run kernel-lab/run --boot 2)");
    iommufd = Uapi.open("/dev/iommu");
    devfd = Uapi.open(DEVICE);
    Memory bind = struct(16);
    bind.setInt(8, iommufd);
    ok(devfd, VFIO_DEVICE_BIND_IOMMUFD, bind, "VFIO_DEVICE_BIND_IOMMUFD " + DEVICE);
    devId = bind.getInt(12);
  }

  @AfterEach
  void unbind() {
    Uapi.close(devfd); // close unbinds
    Uapi.close(iommufd);
  }

  private int attach(int ptId) {
    Memory m = struct(12);
    m.setInt(8, ptId);
    ok(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, m, "VFIO_DEVICE_ATTACH_IOMMUFD_PT pt " + ptId);
    return m.getInt(8);
  }

  private void detach() {
    ok(devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, struct(8), "VFIO_DEVICE_DETACH_IOMMUFD_PT");
  }

  private long map(int ioas, long length) {
    Pointer buf = pages(length);
    return ioasMap(iommufd, ioas, buf, length, 0, MAP_READABLE | MAP_WRITEABLE);
  }

  @Test
  @DisplayName("BIND gives a device id; K-HWI-3 GET_HW_INFO reports INTEL_VTD without DIRTY_TRACKING")
  void kHwi3_bindAndHwInfoIsIntelVtd() {
    assertThat(devId).isPositive();
    long[] info = hwInfo(iommufd, devId);
    assertThat(info[0]).isEqualTo(HW_INFO_TYPE_INTEL_VTD);
    assertThat(info[1] & HW_CAP_DIRTY_TRACKING).as("QEMU 7.2's VT-d has no dirty tracking").isZero();
    assertThat(info[2]).as("data_len of struct iommu_hw_info_vtd").isEqualTo(24);
  }

  @Test
  @DisplayName("K-ATT-4 ATTACH to an IOAS writes back a new auto HWPT id; the HWPT is busy while attached")
  void kAtt4_attachToIoasWritesBackAutoHwptId() {
    int ioas = ioasAlloc(iommufd);
    long iova = map(ioas, 2L << 20);
    assertThat(iova % 4096).isZero();
    int hwpt = attach(ioas);
    assertThat(hwpt).isPositive().isNotEqualTo(ioas).isNotEqualTo(devId);
    assertThat(destroy(iommufd, hwpt)).as("K-DES-2 destroying the attached auto HWPT").isEqualTo(EBUSY);
    detach();
  }

  @Test
  @DisplayName("IOAS_MAP + HWPT_ALLOC(flags 0), ATTACH to that HWPT keeps its id, DESTROY after DETACH")
  void hwptAllocFlags0ThenAttach() {
    int ioas = ioasAlloc(iommufd);
    map(ioas, 2L << 20);
    int[] hwpt = new int[1];
    assertThat(hwptAlloc(iommufd, devId, ioas, 0, hwpt)).isZero();
    assertThat(hwpt[0]).isPositive().isNotEqualTo(ioas);
    assertThat(attach(hwpt[0])).isEqualTo(hwpt[0]);
    assertThat(destroy(iommufd, hwpt[0])).as("K-DES-2 while attached").isEqualTo(EBUSY);
    detach();
    assertThat(destroy(iommufd, hwpt[0])).as("destroy after detach").isZero();
  }

  @Test
  @DisplayName("K-ALLOC-6 HWPT_ALLOC(DIRTY_TRACKING) on emulated VT-d is EOPNOTSUPP")
  void kAlloc6_dirtyAllocOnVtdIsEopnotsupp() {
    int ioas = ioasAlloc(iommufd);
    int[] hwpt = new int[1];
    assertThat(hwptAlloc(iommufd, devId, ioas, HWPT_ALLOC_DIRTY_TRACKING, hwpt)).isEqualTo(EOPNOTSUPP);
  }
}
