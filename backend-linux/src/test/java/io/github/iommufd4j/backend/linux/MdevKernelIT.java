package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code mdev=mtty-1} on the real kernel (boot 1 of the kernel lab, the sample driver mtty): the linux backend
 * makes a mediated device through sysfs, binds its VFIO cdev (an iommufd access), attaches it straight to an IOAS
 * ({@code pt_id} comes back unchanged, Q-ATT-9's kernel side), and removes it when closed. With
 * {@code faults=kernel} the mdev's own fault points are made by the kernel and the others refused.
 */
@Tag("kernel")
class MdevKernelIT {
    static final Path MDEVS = Path.of("/sys/bus/mdev/devices");
    IommufdBackend backend;

    private IommufdBackend open(Map<String, String> options) {
        KernelTestGate.require(Files.exists(Path.of("/dev/iommu")), "/dev/iommu is missing: not a kernel with CONFIG_IOMMUFD");
        KernelTestGate.require(Files.isDirectory(Path.of("/sys/class/mdev_bus/mtty")),
                "/sys/class/mdev_bus/mtty is missing: a kernel without CONFIG_SAMPLE_VFIO_MDEV_MTTY");
        Availability a = new LinuxBackendProvider().availability();
        KernelTestGate.require(a.available(), "linux backend unavailable: " + a.reason());
        try {
            backend = new LinuxBackendProvider().open(BackendOptions.of(options));
        } catch (BackendUnavailableException e) {
            KernelTestGate.require(false, e.getMessage());
        }
        return backend;
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private static List<String> mdevs() throws IOException {
        if (!Files.isDirectory(MDEVS)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(MDEVS)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static DeviceSpec md(String name, IommuSpec iommu, boolean p2p) {
        return new DeviceSpec(name, iommu, true, false, true, p2p);
    }

    @Test
    @DisplayName("an mtty mdev: made in sysfs, bound (an access id), attached to an IOAS with pt_id unchanged, EBUSY IOAS, removed at close")
    void mdevLifecycle() throws IOException {
        List<String> before = mdevs();
        open(Map.of("source", "selftest", "mdev", "mtty-1"));
        DeviceProvisioning p = backend.provisioning().orElseThrow();
        IommuSpec iommu = p.iommu("mock", "selftest", true, true);
        p.createDevice(md("md0", iommu, true));
        p.createDevice(md("md1", iommu, false));
        assertThat(mdevs()).as("two new mdevs in sysfs").hasSize(before.size() + 2);
        BoundDevice md0 = backend.bind("md0");
        assertThat(md0.mdev()).isTrue();
        assertThat(md0.features().migration()).isTrue();
        assertThat(md0.features().p2p()).as("mtty has P2P (flags 0x7) and the spec claims it").isTrue();
        assertThat(md0.features().dmaLogging()).as("hidden: the spec does not claim VF dirty tracking").isFalse();
        BoundDevice md1 = backend.bind("md1");
        assertThat(md1.features().p2p()).as("hidden: the spec does not claim it").isFalse();
        int ioas = backend.ioasAlloc();
        assertThat(backend.attach(md0.devId(), ioas)).as("pt_id comes back unchanged: no HWPT").isEqualTo(ioas);
        assertThat(backend.inventory().orElseThrow().liveObjects()).as("no HWPT recorded for the mdev")
                .noneMatch(o -> o.type() == BackendObject.Type.HWPT);
        assertThatThrownBy(() -> backend.destroy(ioas)).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).as("the IOAS the mdev is on").isEqualTo(Errno.EBUSY));
        backend.detach(md0.devId());
        backend.destroy(ioas);
        assertThat(backend.provisioning().orElseThrow().cannotCreate(new DeviceSpec("md2", iommu, true, true, true, true)))
                .get().asString().contains("VF dirty tracking");
        backend.close();
        backend = null;
        assertThat(mdevs()).as("the backend removed its mdevs").isEqualTo(before);
    }

    @Test
    @DisplayName("faults=kernel on an mdev: BIND ENOMEM (the access object) and ATTACH ENOENT (the IOAS lookup) are the kernel's; ATTACH ENOMEM is refused")
    void kernelMadeFailuresOfAnMdev() {
        open(Map.of("source", "selftest", "mdev", "mtty-1", "faults", "kernel"));
        DeviceProvisioning p = backend.provisioning().orElseThrow();
        KernelFaults faults = (KernelFaults) backend.faultInjection().orElseThrow();
        p.createDevice(md("md0", p.iommu("mock", "selftest", true, true), true));
        faults.failNth(BackendOp.BIND, 1, Errno.ENOMEM);
        assertThatThrownBy(() -> backend.bind("md0")).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOMEM));
        assertThat(faults.shots()).last().satisfies(s -> assertThat(s.asAsked()).as("%s", s).isTrue());
        BoundDevice md0 = backend.bind("md0");
        int ioas = backend.ioasAlloc();
        faults.failNth(BackendOp.ATTACH, 1, Errno.ENOENT);
        assertThatThrownBy(() -> backend.attach(md0.devId(), ioas)).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        assertThat(faults.shots()).last().satisfies(s -> assertThat(s.asAsked()).as("%s", s).isTrue());
        faults.failNth(BackendOp.ATTACH, 1, Errno.ENOMEM); // a selftest device's attach could: accepted here
        assertThatThrownBy(() -> backend.attach(md0.devId(), ioas)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("MDEV").hasMessageContaining("not made");
        assertThat(backend.attach(md0.devId(), ioas)).isEqualTo(ioas);
        backend.detach(md0.devId());
    }
}
