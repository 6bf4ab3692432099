package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinuxOptionsTest {

    private static LinuxOptions parse(Map<String, String> m) {
        return LinuxOptions.parse(BackendOptions.of(m));
    }

    @Test
    @DisplayName("no options: the vfio source over every cdev found")
    void defaults() {
        assertThat(parse(Map.of())).isEqualTo(new LinuxOptions(LinuxOptions.Source.VFIO, List.of()));
    }

    @Test
    @DisplayName("devices=selftest and source=selftest both pick the selftest source")
    void selftestSpellings() {
        assertThat(parse(Map.of("devices", "selftest")).source()).isEqualTo(LinuxOptions.Source.SELFTEST);
        assertThat(parse(Map.of("source", "selftest")).source()).isEqualTo(LinuxOptions.Source.SELFTEST);
        assertThatThrownBy(() -> parse(Map.of("source", "vfio", "devices", "selftest"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("devices is a comma list of cdev paths and PCI addresses; anything else is rejected")
    void deviceList() {
        assertThat(parse(Map.of("devices", "/dev/vfio/devices/vfio0,0000:00:03.0")).devices())
                .containsExactly("/dev/vfio/devices/vfio0", "0000:00:03.0");
        assertThatThrownBy(() -> parse(Map.of("devices", "eth0"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("eth0");
        assertThatThrownBy(() -> parse(Map.of("devices", "0000:00:03.0,,"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> parse(Map.of("source", "selftest", "devices", "0000:00:03.0")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("an unknown key or source value is rejected naming it")
    void unknownRejected() {
        assertThatThrownBy(() -> parse(Map.of("sorce", "vfio"))).hasMessageContaining("sorce");
        assertThatThrownBy(() -> parse(Map.of("source", "mdev"))).hasMessageContaining("mdev");
    }

    @Test
    @DisplayName("mdev names an mdev type; faults is none or kernel; anything else is rejected naming it")
    void mdevAndFaults() {
        LinuxOptions o = parse(Map.of("source", "selftest", "mdev", "mtty-1", "faults", "kernel"));
        assertThat(o.mdevType()).isEqualTo("mtty-1");
        assertThat(o.faults()).isEqualTo(LinuxOptions.Faults.KERNEL);
        assertThat(parse(Map.of("faults", "none")).faults()).isEqualTo(LinuxOptions.Faults.NONE);
        assertThat(parse(Map.of()).mdevType()).isNull();
        assertThatThrownBy(() -> parse(Map.of("mdev", "../x"))).hasMessageContaining("../x");
        assertThatThrownBy(() -> parse(Map.of("mdev", ""))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> parse(Map.of("faults", "decorator"))).hasMessageContaining("decorator");
    }

    @Test
    @DisplayName("vfLogging is refused (default) or declared, and declared only for the selftest source")
    void vfLogging() {
        assertThat(parse(Map.of()).vfLogging()).isEqualTo(LinuxOptions.VfLogging.REFUSED);
        assertThat(parse(Map.of("source", "selftest", "vfLogging", "declared")).vfLogging()).isEqualTo(LinuxOptions.VfLogging.DECLARED);
        assertThatThrownBy(() -> parse(Map.of("vfLogging", "declared"))).hasMessageContaining("selftest");
        assertThatThrownBy(() -> parse(Map.of("source", "selftest", "vfLogging", "yes"))).hasMessageContaining("yes");
    }
}
