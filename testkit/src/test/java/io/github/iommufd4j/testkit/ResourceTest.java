package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.api.IommufdBackends;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.testkit.InvariantRunner;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Opening and closing backends again and again leaves no file descriptor behind ({@code /proc/self/fd}
 * counted before and after; a leak of one fd per round would show as hundreds).
 */
class ResourceTest {
    static {
        QuietLogs.on();
    }

    static final int ROUNDS = 300;
    /** The JVM may open a few fds of its own (class files, a JNA library) during the rounds. */
    static final int SLACK = 3;

    static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void mockBackendsOpenedRunAndClosedLeaveNoFd() throws IOException {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd");
        IommufdBackendProvider mock = IommufdBackends.provider("mock");
        Scenario s = ScenarioGenerator.generate(1, ScenarioGenerator.Options.defaults());
        roundsOfMock(mock, s, 20); // warm up class loading
        long before = openFds();
        roundsOfMock(mock, s, ROUNDS);
        assertThat(openFds()).as("fds after %d open/run/close rounds", ROUNDS).isLessThanOrEqualTo(before + SLACK);
    }

    private static void roundsOfMock(IommufdBackendProvider p, Scenario s, int n) {
        for (int i = 0; i < n; i++) {
            assertThat(p.availability().available()).isTrue();
            try (IommufdBackend b = p.open(BackendOptions.empty())) {
                InvariantRunner.run(s, Profile.QEMU_9_1, b, null);
            }
        }
    }

    /**
     * The Linux backend of this build (a test-scoped dependency, so the reactor's classes, never a jar from a local
     * repository). On a host without {@code /dev/iommu} its availability probe and its failing open must close
     * whatever they opened; on a host with it, open and close must balance.
     */
    @Test
    void linuxBackendProbesAndFailedOpensLeaveNoFd() throws IOException {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd");
        IommufdBackendProvider linux = IommufdBackends.provider("linux");
        String from = linux.getClass().getProtectionDomain().getCodeSource().getLocation().getPath();
        assertThat(from).as("where the linux provider was loaded from (build with the reactor: mvn -am)")
                .contains("backend-linux/target/");
        roundsOfLinux(linux, 20);
        long before = openFds();
        int unavailable = roundsOfLinux(linux, ROUNDS);
        // Hostile options are refused by name before anything is opened.
        for (var bad : List.of(Map.of("bogus", "1"), Map.of("source", "nonsense"), Map.of("devices", "a,,b"))) {
            String key = bad.keySet().iterator().next();
            assertThatThrownBy(() -> linux.open(BackendOptions.of(bad))).as("options %s", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(key);
        }
        assertThat(openFds()).as("fds after %d availability/open rounds", ROUNDS).isLessThanOrEqualTo(before + SLACK);
        if (!Files.exists(Path.of("/dev/iommu"))) {
            assertThat(unavailable).as("open fails on a host without /dev/iommu").isEqualTo(ROUNDS);
        }
    }

    private static int roundsOfLinux(IommufdBackendProvider p, int n) {
        int unavailable = 0;
        for (int i = 0; i < n; i++) {
            Availability a = p.availability();
            if (!a.available()) {
                assertThat(a.reason()).isNotBlank();
                assertThatThrownBy(() -> p.open(BackendOptions.empty())).isInstanceOf(BackendUnavailableException.class);
                unavailable++;
            } else {
                p.open(BackendOptions.empty()).close();
            }
        }
        return unavailable;
    }
}
