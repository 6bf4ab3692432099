package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real VFIO cdev (kernel-lab/README.md: QEMU's {@code edu} device behind an emulated VT-d, bound to vfio-pci).
 * The device is {@code IOMMUFD4J_VFIO_DEVICE} (a cdev path or PCI address) or the first
 * {@code /dev/vfio/devices/vfioN}; skipped where there is none.
 */
@Tag("kernel")
class VfioCdevKernelIT {

    @Test
    @DisplayName("K-ATT-4 bind, attach to an IOAS (auto domain), hw info, map, HWPT_ALLOC, detach, unbind")
    void vfioCdevSequence() {
        KernelTestGate.require(Files.exists(Path.of("/dev/iommu")), "/dev/iommu is missing: not a kernel with CONFIG_IOMMUFD");
        String configured = System.getenv("IOMMUFD4J_VFIO_DEVICE");
        Map<String, String> options = configured == null ? Map.of() : Map.of("devices", configured);
        try (IommufdBackend backend = new LinuxBackendProvider().open(BackendOptions.of(options))) {
            List<String> refs = backend.deviceRefs();
            KernelTestGate.require(!refs.isEmpty(), "no VFIO cdev in /dev/vfio/devices (bind a device to vfio-pci)");
            BoundDevice dev = backend.bind(refs.get(0));
            assertThat(dev.devId()).isPositive();
            // sysfs: the cdev leads to its PCI device, whose iommu and iommu_group links name the instance and group.
            assertThat(dev.name()).matches(VfioDevices.PCI_ADDRESS);
            assertThat(dev.iommuInstance()).as("iommu link of %s", dev.name()).isNotNull();
            assertThat(dev.group()).as("iommu_group link of %s", dev.name()).isNotNull();
            System.out.println("bound " + dev);

            int ioas = backend.ioasAlloc();
            int auto = backend.attach(dev.devId(), ioas);
            assertThat(auto).as("the auto domain id written back").isNotEqualTo(ioas).isPositive();

            HostIommuDevice hw = backend.getHwInfo(dev.devId());
            assertThat(hw.hwInfoTypeCode()).isNotZero();

            backend.ioasMap(ioas, 0x1000000L, 2L << 20);
            int hwpt = backend.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.none());
            assertThat(backend.attach(dev.devId(), hwpt)).isEqualTo(hwpt);
            if (!hw.supportsDirtyTracking()) {
                try {
                    backend.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING));
                    throw new AssertionError("K-ALLOC-6: DIRTY_TRACKING accepted on an IOMMU without it");
                } catch (IommufdException e) {
                    assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP);
                }
            }
            backend.detach(dev.devId());
            backend.destroy(hwpt);
            backend.unbind(dev.devId());
            backend.ioasUnmap(ioas, 0, -1L);
            backend.destroy(ioas);
            assertThat(backend.inventory().orElseThrow().liveObjects()).isEmpty();
        }
    }
}
