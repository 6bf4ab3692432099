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
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
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
     * The Linux backend, loaded from its built jar and JNA in the local Maven repository (core does not depend
     * on it). On a host without {@code /dev/iommu} its availability probe and its failing open must close
     * whatever they opened; on a host with it, open and close must balance.
     */
    @Test
    void linuxBackendProbesAndFailedOpensLeaveNoFd() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd");
        List<URL> jars = linuxJars();
        assumeTrue(jars != null, "backend-linux jar or JNA jar not found (build backend-linux first)");
        try (URLClassLoader loader = new URLClassLoader(jars.toArray(URL[]::new), getClass().getClassLoader())) {
            IommufdBackendProvider linux = null;
            for (IommufdBackendProvider p : ServiceLoader.load(IommufdBackendProvider.class, loader)) {
                if (p.name().equals("linux")) {
                    linux = p;
                }
            }
            assertThat(linux).as("the linux provider is registered in its jar").isNotNull();
            roundsOfLinux(linux, 20);
            long before = openFds();
            int unavailable = roundsOfLinux(linux, ROUNDS);
            // Hostile options are refused by name before anything is opened.
            for (var bad : List.of(java.util.Map.of("bogus", "1"), java.util.Map.of("source", "nonsense"),
                    java.util.Map.of("devices", "a,,b"))) {
                IommufdBackendProvider p = linux;
                String key = bad.keySet().iterator().next();
                assertThatThrownBy(() -> p.open(BackendOptions.of(bad))).as("options %s", bad)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(key);
            }
            assertThat(openFds()).as("fds after %d availability/open rounds", ROUNDS).isLessThanOrEqualTo(before + SLACK);
            if (!Files.exists(Path.of("/dev/iommu"))) {
                assertThat(unavailable).as("open fails on a host without /dev/iommu").isEqualTo(ROUNDS);
            }
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

    /** backend-linux's jar (built or installed) and JNA's, or null when one is missing. */
    private static List<URL> linuxJars() throws IOException {
        Path repo = Path.of(System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository"));
        List<Path> candidates = new ArrayList<>(List.of(
                Path.of("..", "backend-linux", "target", "iommufd4j-backend-linux-0.1.0-SNAPSHOT.jar"),
                repo.resolve("io/github/iommufd4j/iommufd4j-backend-linux/0.1.0-SNAPSHOT/iommufd4j-backend-linux-0.1.0-SNAPSHOT.jar")));
        Path backend = candidates.stream().filter(Files::isRegularFile).findFirst().orElse(null);
        Path jnaDir = repo.resolve("net/java/dev/jna/jna");
        if (backend == null || !Files.isDirectory(jnaDir)) {
            return null;
        }
        Path jna;
        try (Stream<Path> versions = Files.list(jnaDir)) {
            jna = versions.map(v -> v.resolve("jna-" + v.getFileName() + ".jar")).filter(Files::isRegularFile)
                    .max((a, b) -> compareVersions(a.getParent().getFileName().toString(), b.getParent().getFileName().toString()))
                    .orElse(null);
        }
        return jna == null ? null : List.of(backend.toUri().toURL(), jna.toUri().toURL());
    }

    private static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = Integer.compare(Integer.parseInt(x[i].replaceAll("\\D.*", "")), Integer.parseInt(y[i].replaceAll("\\D.*", "")));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }
}
