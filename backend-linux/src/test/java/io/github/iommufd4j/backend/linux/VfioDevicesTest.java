package io.github.iommufd4j.backend.linux;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VfioDevicesTest {
    @TempDir
    Path tmp;

    @Test
    @DisplayName("cdevs are listed by number, vfio2 before vfio10")
    void listsByNumber() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("dev"));
        for (String n : new String[] {"vfio10", "vfio2", "vfio0"}) {
            Files.createFile(dir.resolve(n));
        }
        assertThat(new VfioDevices(tmp.resolve("sys"), dir).list())
                .containsExactly(dir.resolve("vfio0").toString(), dir.resolve("vfio2").toString(), dir.resolve("vfio10").toString());
        assertThat(new VfioDevices(tmp.resolve("sys"), tmp.resolve("none")).list()).isEmpty();
    }

    @Test
    @DisplayName("a cdev path finds its PCI address through /sys/class/vfio-dev/vfioN/device, and then its IOMMU and group")
    void cdevToPciAddress() throws IOException {
        Path sys = tmp.resolve("sys");
        Path pci = Files.createDirectories(sys.resolve("devices/pci0000:00/0000:00:05.0"));
        Files.createDirectories(sys.resolve("class/vfio-dev/vfio3"));
        Files.createSymbolicLink(sys.resolve("class/vfio-dev/vfio3/device"), pci);
        Files.createDirectories(sys.resolve("bus/pci/devices"));
        Files.createSymbolicLink(sys.resolve("bus/pci/devices/0000:00:05.0"), pci);
        Files.createSymbolicLink(pci.resolve("iommu_group"), Files.createDirectories(sys.resolve("kernel/iommu_groups/12")));
        VfioDevices v = new VfioDevices(sys, tmp.resolve("dev"));
        VfioDevices.Resolved r = v.resolve("/dev/vfio/devices/vfio3");
        assertThat(r.pciAddress()).isEqualTo("0000:00:05.0");
        assertThat(r.name()).isEqualTo("0000:00:05.0");
        assertThat(r.cdev()).isEqualTo(Path.of("/dev/vfio/devices/vfio3"));
        assertThat(v.iommuGroup(r.pciAddress())).isEqualTo("12");
        assertThat(v.iommuInstance(r.pciAddress())).as("no iommu link").isNull();
    }

    @Test
    @DisplayName("a PCI address with two vfio-dev entries is refused rather than guessed")
    void ambiguousPciAddress() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("sys/bus/pci/devices/0000:00:03.0/vfio-dev"));
        Files.createDirectories(d.resolve("vfio0"));
        Files.createDirectories(d.resolve("vfio1"));
        assertThatThrownBy(() -> new VfioDevices(tmp.resolve("sys"), tmp).resolve("0000:00:03.0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("several");
    }
}
