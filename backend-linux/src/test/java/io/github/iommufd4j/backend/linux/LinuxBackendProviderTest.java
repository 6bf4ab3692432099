package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.api.IommufdBackends;
import io.github.iommufd4j.backend.linux.sys.Ioctls;
import io.github.iommufd4j.backend.linux.sys.ScriptedIoctls;
import io.github.iommufd4j.backend.linux.uapi.IommuTestCmd;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinuxBackendProviderTest {

    private static LinuxBackendProvider provider(ScriptedIoctls sys) {
        return new LinuxBackendProvider(new LinuxHost(() -> sys, "/dev/iommu", Path.of("/nonexistent-sys"), Path.of("/nonexistent-dev")));
    }

    @Test
    @DisplayName("ServiceLoader finds the provider under the name linux")
    void discoveredByServiceLoader() {
        IommufdBackendProvider p = IommufdBackends.provider("linux");
        assertThat(p).isInstanceOf(LinuxBackendProvider.class);
        assertThat(p.availability()).isNotNull(); // never throws, whatever this host has
    }

    @Test
    @DisplayName("a missing /dev/iommu is reported as a kernel without CONFIG_IOMMUFD, by availability and open")
    void missingDevIommu() {
        ScriptedIoctls sys = new ScriptedIoctls().onOpen("/dev/iommu", -Errno.ENOENT.number());
        Availability a = provider(sys).availability();
        assertThat(a.available()).isFalse();
        assertThat(a.reason()).contains("/dev/iommu is missing").contains("CONFIG_IOMMUFD");
        assertThatThrownBy(() -> provider(sys).open(BackendOptions.empty()))
                .isInstanceOf(BackendUnavailableException.class).hasMessage(a.reason());
    }

    @Test
    @DisplayName("EACCES on /dev/iommu is reported as permission denied")
    void permissionDenied() {
        ScriptedIoctls sys = new ScriptedIoctls().onOpen("/dev/iommu", -Errno.EACCES.number());
        assertThat(provider(sys).availability().reason()).contains("permission denied");
    }

    @Test
    @DisplayName("an openable /dev/iommu is available, and the probe closes its fd")
    void availableClosesTheProbeFd() {
        ScriptedIoctls sys = new ScriptedIoctls().onOpen("/dev/iommu", 33);
        assertThat(provider(sys).availability().available()).isTrue();
        assertThat(sys.closedFds()).containsExactly(33);
    }

    @Test
    @DisplayName("the selftest source on a kernel without CONFIG_IOMMUFD_TEST (ENOTTY) is unavailable; the fd is closed")
    void selftestWithoutTestCommand() {
        ScriptedIoctls sys = new ScriptedIoctls().onOpen("/dev/iommu", 33).expectErrno(IommuTestCmd.REQUEST, Errno.ENOTTY.number());
        assertThatThrownBy(() -> provider(sys).open(BackendOptions.of(Map.of("devices", "selftest"))))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("CONFIG_IOMMUFD_TEST");
        assertThat(sys.closedFds()).containsExactly(33);
    }

    @Test
    @DisplayName("unknown options are rejected before /dev/iommu is opened")
    void unknownOptionRejected() {
        ScriptedIoctls sys = new ScriptedIoctls();
        assertThatThrownBy(() -> provider(sys).open(BackendOptions.of(Map.of("colour", "red"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("colour").hasMessageContaining("source");
        assertThat(sys.calls()).isEmpty();
    }

    @Test
    @DisplayName("a JNA that cannot load is an unavailability, not a crash")
    void jnaLinkageError() {
        LinuxBackendProvider p = new LinuxBackendProvider(new LinuxHost(() -> {
            throw new UnsatisfiedLinkError("no jnidispatch");
        }, "/dev/iommu", Path.of("/x"), Path.of("/y")));
        assertThat(p.availability().reason()).contains("JNA").contains("jnidispatch");
        assertThatThrownBy(() -> p.open(BackendOptions.empty())).isInstanceOf(BackendUnavailableException.class);
    }

    @Test
    @DisplayName("open flags are O_RDWR|O_CLOEXEC")
    void openFlags() {
        assertThat(Ioctls.O_RDWR | Ioctls.O_CLOEXEC).isEqualTo(02000002);
    }
}
