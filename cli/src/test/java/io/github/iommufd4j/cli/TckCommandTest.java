package io.github.iommufd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TckCommandTest {

    @Test
    void runsTheTckOnTheMockAndWritesBothReports(@TempDir Path dir) throws Exception {
        Cli.Result r = Cli.run("tck", "--backend", "mock", "--report-dir", dir.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("K-ALLOC-6").contains("mock: 35 required (35 passed, 0 failed, 0 skipped)");
        assertThat(r.err()).contains("PASSED").contains("required_kAlloc6");
        assertThat(Files.readString(dir.resolve("TEST-junit-jupiter.xml"))).contains("<testsuite").contains("failures=\"0\"");
        assertThat(Files.readString(dir.resolve("tck-report.md"))).contains("K-ALLOC-6");
    }

    @Test
    void quietRunPrintsNoProgress(@TempDir Path dir) {
        Cli.Result r = Cli.run("tck", "--quiet", "--report-dir", dir.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.err()).doesNotContain("PASSED");
    }

    @Test
    void anUnavailableBackendIsExit2WithTheReason() {
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of("/dev/iommu")), "this host has /dev/iommu");
        Cli.Result r = Cli.run("tck", "--backend", "linux");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("tck: backend 'linux' cannot run here: /dev/iommu").doesNotContain("Exception");
    }

    @Test
    void anUnknownBackendIsExit2NamingTheKnownOnes() {
        Cli.Result r = Cli.run("tck", "--backend", "nope");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no backend named 'nope'").contains("mock");
    }

    @Test
    void optionsTheBackendRejectsAreExit2BeforeAnyRuleRuns(@TempDir Path dir) {
        Cli.Result r = Cli.run("tck", "--backend", "mock", "--backend-option", "foo=bar", "--report-dir",
                dir.resolve("r").toString());
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).startsWith("tck: backend 'mock' rejects its options: backend 'mock' has no option 'foo'");
        assertThat(dir.resolve("r")).as("no rule ran, no report").doesNotExist();
    }
}
