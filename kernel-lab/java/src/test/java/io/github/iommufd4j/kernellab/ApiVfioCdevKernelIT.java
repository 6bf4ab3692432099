package io.github.iommufd4j.kernellab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwInfoType;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackends;
import io.github.iommufd4j.api.IommufdException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Boot 2 proof through the project's own API: the {@code linux} provider (backend-linux, found with
 * ServiceLoader on the guest class path; compiled here against the api only) on the real VFIO cdev of
 * QEMU's edu device behind an emulated VT-d.
 */
class ApiVfioCdevKernelIT {
  private static final long IOVA = 0x1000000L;
  private static final long LENGTH = 2L << 20;

  private IommufdBackend backend;
  private int devId;

  @BeforeEach
  void openAndBind() {
    assumeTrue(Uapi.inGuest() || Uapi.present(VfioCdevKernelIT.DEVICE),
        "no " + VfioCdevKernelIT.DEVICE + " on this host (run kernel-lab/run --boot 2)");
    backend = IommufdBackends.provider("linux").open(BackendOptions.of(Map.of("devices", VfioCdevKernelIT.DEVICE)));
    BoundDevice dev = backend.bind(VfioCdevKernelIT.DEVICE);
    devId = dev.devId();
  }

  @AfterEach
  void close() {
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  @DisplayName("K-HWI-3 linux backend: bind + getHwInfo of vfio0 is INTEL_VTD without dirty tracking")
  void kHwi3_hwInfoThroughTheBackend() {
    assertThat(devId).isPositive();
    HostIommuDevice info = backend.getHwInfo(devId);
    assertThat(info.hwInfoType()).isEqualTo(HwInfoType.INTEL_VTD);
    assertThat(info.supportsDirtyTracking()).isFalse();
    assertThat(info.vendorData()).as("struct iommu_hw_info_vtd").hasSize(24);
  }

  @Test
  @DisplayName("K-ATT-4/K-ATT-3 linux backend: attach to an IOAS (auto HWPT), replace onto a flags-0 HWPT, detach, destroy")
  void kAtt4_attachAutoThenReplaceOntoHwpt() {
    int ioas = backend.ioasAlloc();
    backend.ioasMap(ioas, IOVA, LENGTH);
    int auto = backend.attach(devId, ioas);
    assertThat(auto).isPositive().isNotEqualTo(ioas).isNotEqualTo(devId);
    int hwpt = backend.hwptAlloc(devId, ioas, HwptAllocFlag.none());
    assertThat(hwpt).isPositive().isNotIn(ioas, auto, devId);
    assertThat(backend.attach(devId, hwpt)).isEqualTo(hwpt);
    assertThatThrownBy(() -> backend.destroy(hwpt))
        .isInstanceOfSatisfying(IommufdException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
    backend.detach(devId);
    backend.destroy(hwpt);
    backend.ioasUnmap(ioas, IOVA, LENGTH);
  }

  @Test
  @DisplayName("K-ALLOC-6 linux backend: hwptAlloc(DIRTY_TRACKING) on emulated VT-d is EOPNOTSUPP")
  void kAlloc6_dirtyHwptOnVtdIsEopnotsupp() {
    int ioas = backend.ioasAlloc();
    assertThatThrownBy(() -> backend.hwptAlloc(devId, ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING)))
        .isInstanceOfSatisfying(IommufdException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP));
  }
}
