package io.github.iommufd4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.backend.mock.MockBackendProvider;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ways 2 and 3 of running the TCK: the ServiceLoader class (as Surefire runs it) through the programmatic runner. */
class ServiceLoaderBackendTckTest {
    @TempDir
    Path reports;

    @Test
    void runnerOverMockByName_passesEveryRuleAndWritesBothReports() throws Exception {
        List<String> progress = new ArrayList<>();
        TckSummary s = TckRunner.run("mock", reports, progress::add);
        assertThat(s.backend()).isEqualTo("mock");
        assertThat(s.results()).hasSize(42);
        assertThat(s.count(TckSummary.Level.REQUIRED, TckSummary.Result.PASSED)).as(s.table()).isEqualTo(35);
        assertThat(s.count(TckSummary.Level.OPTIONAL, TckSummary.Result.PASSED)).as(s.table()).isEqualTo(7);
        assertThat(progress).hasSize(42).anySatisfy(l -> assertThat(l).startsWith("PASSED").contains("K-ALLOC-6")
                .contains("required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp"));

        Path xml = reports.resolve("TEST-junit-jupiter.xml");
        assertThat(xml).exists();
        String xmlText = Files.readString(xml);
        assertThat(xmlText.split("<testcase ", -1)).as("testcase elements in the JUnit XML").hasSize(43);
        assertThat(xmlText).contains("required_kGdb6_bitsAreOredIntoTheBuffer").contains("failures=\"0\"");

        String md = Files.readString(reports.resolve(TckRunner.MARKDOWN_REPORT));
        assertThat(md).startsWith("# iommufd4j TCK report: mock")
                .contains("mock: 35 required (35 passed, 0 failed, 0 skipped), 7 optional (7 passed, 0 failed, 0 skipped)")
                .contains("| K-ALLOC-6 | required | PASSED | `required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp` |  |");
    }

    @Test
    void runnerWithOnlyOneProviderOnTheClassPath_picksIt() {
        assertThat(ServiceLoaderBackendTck.chooseProvider(null).name()).isEqualTo("mock");
        assertThat(ServiceLoaderBackendTck.chooseProvider(" ").name()).isEqualTo("mock");
    }

    @Test
    void runnerWithUnknownBackend_isRefusedNamingTheOnesFound() {
        assertThatThrownBy(() -> TckRunner.run("nosuch", reports, l -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nosuch'").hasMessageContaining("mock");
    }

    @Test
    void backendOptionsReachTheProvider_whichRejectsUnknownKeys_failingTheRunBeforeAnyRule() {
        TckSummary s = TckRunner.run("mock", BackendOptions.of(Map.of("bogus", "1")), reports, l -> { });
        assertThat(s.results()).as("rules run").isEmpty();
        assertThat(s.problems()).containsExactly("backend 'mock' rejects the options {bogus=1}: backend 'mock' has no"
                + " option 'bogus'; known options: none; no rule ran");
        assertThat(s.passed()).isFalse();
    }

    @Test
    void serviceLoaderTckWithUnknownBackendProperty_failsTheRunNamingTheBackendsFound() {
        TckSummary s = TckRunner.runClass(ServiceLoaderBackendTck.class, "nosuch",
                Map.of(ServiceLoaderBackendTck.BACKEND_PROPERTY, "nosuch"), reports, l -> { });
        assertThat(s.results()).as("rules run").isEmpty();
        assertThat(s.problems()).containsExactly("no backend named 'nosuch'; found: mock; no rule ran");
        assertThat(s.passed()).as("a run that tested nothing is never green").isFalse();
        assertThat(s.verdict()).isEqualTo("FAILED: the run failed");
    }

    @Test
    void serviceLoaderTckWithTwoBackendsAndNoChoice_failsTheRunLoudly(@TempDir Path extra) throws Exception {
        Path services = extra.resolve("META-INF/services/" + IommufdBackendProvider.class.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, SecondMockProvider.class.getName() + "\n");
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        List<String> progress = new ArrayList<>();
        TckSummary s;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {extra.toUri().toURL()}, before)) {
            Thread.currentThread().setContextClassLoader(loader);
            s = TckRunner.runClass(ServiceLoaderBackendTck.class, "unchosen", Map.of(), reports, progress::add);
        } finally {
            Thread.currentThread().setContextClassLoader(before);
        }
        assertThat(s.results()).as("rules run").isEmpty();
        assertThat(s.problems()).containsExactly("several iommufd4j backends on the class path (mock, second-mock), and"
                + " none chosen: set -Diommufd4j.backend=NAME (Surefire: systemPropertyVariables); no rule ran");
        assertThat(progress).containsExactly("RUN FAILED  several iommufd4j backends on the class path (mock, second-mock),"
                + " and none chosen: set -Diommufd4j.backend=NAME (Surefire: systemPropertyVariables); no rule ran");
        assertThat(Files.readString(reports.resolve("TEST-junit-jupiter.xml"))).contains("several iommufd4j backends");
        assertThat(Files.readString(reports.resolve(TckRunner.MARKDOWN_REPORT))).contains("several iommufd4j backends")
                .contains("**FAILED: the run failed**");
    }

    /** A second provider, registered only through the class loader of the ambiguous-choice test. */
    public static final class SecondMockProvider implements IommufdBackendProvider {
        @Override
        public String name() {
            return "second-mock";
        }

        @Override
        public String description() {
            return "the mock under a second name";
        }

        @Override
        public Availability availability() {
            return Availability.yes();
        }

        @Override
        public IommufdBackend open(BackendOptions options) {
            return new MockBackendProvider().open(options);
        }
    }

    @Test
    void optionsText_isParsedAsCommaSeparatedPairs() {
        assertThat(ServiceLoaderBackendTck.parseOptions("a=1, b=x=y").asMap()).containsExactly(Map.entry("a", "1"),
                Map.entry("b", "x=y"));
        assertThat(ServiceLoaderBackendTck.parseOptions(null).asMap()).isEmpty();
        assertThatThrownBy(() -> ServiceLoaderBackendTck.parseOptions("novalue"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("novalue");
    }
}
