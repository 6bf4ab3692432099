package io.github.iommufd4j.qemulab.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.Errno;
import org.junit.jupiter.api.Test;

/** QEMU 10.0.2's error texts (as the lab measured them) read in core's terms. */
class QemuTextsTest {

    @Test
    void aRealizeErrorLosesItsPrefixAndItsStrerrorWhichBecomesTheErrno() {
        assertThat(QemuTexts.realizeError("vfio vf0: Failed to allocate hwpt: Cannot allocate memory", "vf0", fd -> "?"))
                .isEqualTo(new QemuTexts.Error("Failed to allocate hwpt", Errno.ENOMEM));
        assertThat(QemuTexts.realizeError("vfio vf0: vf0: VFIO migration is not supported in kernel", "vf0", fd -> "?"))
                .isEqualTo(new QemuTexts.Error("vf0: VFIO migration is not supported in kernel", null));
    }

    @Test
    void descriptorNumbersCoreHasNoNotionOfAreRewritten() {
        assertThat(QemuTexts.realizeError("vfio vf1: error bind device fd=32 to iommufd=30: Device or resource busy",
                "vf1", fd -> fd == 32 ? "vf1" : "?"))
                .isEqualTo(new QemuTexts.Error("error bind device vf1 to iommufd", Errno.EBUSY));
        assertThat(QemuTexts.realizeError("vfio vf0: [iommufd=30] error attach vf0 (31) to id=3: Cannot allocate memory",
                "vf0", fd -> "?")).isEqualTo(new QemuTexts.Error("error attach vf0 to id=3", Errno.ENOMEM));
    }

    @Test
    void aReturnedErrnoAndHostAddressesAreTakenOut() {
        assertThat(QemuTexts.realizeError("vfio vf0: memory listener initialization failed: Region pc.ram: "
                + "vfio_container_dma_map(0x563436021270, 0x0, 0xc0000, 0x7f9363e00000) = -12 (Cannot allocate memory)",
                "vf0", fd -> "?")).isEqualTo(new QemuTexts.Error("memory listener initialization failed: Region pc.ram: "
                + "vfio_container_dma_map(<host>, 0x0, 0xc0000, <host>)", Errno.ENOMEM));
        assertThat(QemuTexts.withoutStrerror("ram_save_setup failed: Invalid argument"))
                .isEqualTo(new QemuTexts.Error("ram_save_setup failed", Errno.EINVAL));
    }

    @Test
    void coresMessageMayBeTheHeadOfQemusChainOfCausesButNotJustAPrefix() {
        assertThat(QemuTexts.sameMessage("memory listener initialization failed",
                "memory listener initialization failed: Region pc.ram: vfio_container_dma_map(<host>)")).isTrue();
        assertThat(QemuTexts.sameMessage("Failed to allocate hwpt", "Failed to allocate hwpt")).isTrue();
        assertThat(QemuTexts.sameMessage("Failed to allocate", "Failed to allocate hwpt")).isFalse();
        assertThat(QemuTexts.sameMessage("Failed to allocate hwpt: x", "Failed to allocate hwpt")).isFalse();
        assertThat(QemuTexts.sameMessage(null, null)).isTrue();
        assertThat(QemuTexts.sameMessage(null, "x")).isFalse();
    }
}
