package io.github.iommufd4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.BackendOptions;
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
    void backendOptionsReachTheProvider_whichRejectsUnknownKeysAsFailures() {
        TckSummary s = TckRunner.run("mock", BackendOptions.of(Map.of("bogus", "1")), reports, l -> { });
        assertThat(s.count(TckSummary.Result.FAILED)).as("every rule fails to open the backend").isEqualTo(42);
        assertThat(s.results().get(0).reason()).contains("has no option 'bogus'");
    }

    @Test
    void serviceLoaderTckWithUnknownBackendProperty_skipsEveryRuleWithTheReason() {
        TckSummary s = TckRunner.runClass(ServiceLoaderBackendTck.class, "nosuch",
                Map.of(ServiceLoaderBackendTck.BACKEND_PROPERTY, "nosuch"), reports, l -> { });
        assertThat(s.count(TckSummary.Result.SKIPPED)).isEqualTo(42);
        assertThat(s.results()).allSatisfy(r -> assertThat(r.reason()).contains("no backend named 'nosuch'"));
        assertThat(s.passed()).as("skipped rules are never red").isTrue();
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
