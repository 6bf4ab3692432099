package io.github.iommufd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --class-path}: every command loads a third-party backend jar; the TCK runs on it green, and red when broken. */
class UserClassPathTest {
    @TempDir
    static Path dir;
    static Path jar;

    @BeforeAll
    static void buildTheJar() {
        jar = UserJar.build(dir);
    }

    @Test
    void backendsListsTheUserBackend_givenBeforeOrAfterTheCommand() {
        Cli.Result before = Cli.run("--class-path", jar.toString(), "backends");
        assertThat(before.exit()).as(before.err()).isZero();
        assertThat(before.out().lines()).contains("recorder\tavailable", "mock\tavailable");
        Cli.Result after = Cli.run("backends", "--class-path", jar.toString());
        assertThat(after.out().lines()).contains("recorder\tavailable");
        assertThat(Cli.run("backends").out()).as("without --class-path").doesNotContain("recorder");
    }

    @Test
    void tckOnTheUserBackendIsGreen(@TempDir Path reports) {
        Cli.Result r = Cli.run("tck", "--class-path", jar.toString(), "--backend", "recorder", "--quiet",
                "--report-dir", reports.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("recorder: 35 required (35 passed, 0 failed, 0 skipped), 7 optional (7 passed, 0 failed,"
                + " 0 skipped)").contains("PASSED: no rule failed, every required rule ran");
    }

    @Test
    void tckOnTheDeliberatelyBrokenUserBackendIsRedWithRuleCallExpectedAndActual(@TempDir Path reports) throws Exception {
        Cli.Result r = Cli.run("tck", "--class-path", jar.toString(), "--backend", "recorder", "--backend-option", "break=true",
                "--quiet", "--report-dir", reports.toString());
        assertThat(r.exit()).isEqualTo(TckCommand.EXIT_RULE_FAILED);
        String nl = System.lineSeparator();
        assertThat(r.out().lines())
                .anyMatch(l -> l.matches("K-ATT-2 +required +FAILED +nonDirtyDeviceOnDirtyHwptIsEinval +K-ATT-2 \\(required\\) failed: .*"))
                .anyMatch(l -> l.matches("Q-ATT-3 +required +FAILED +dirtyTrackingAskedForIffCapability +follows from K-ATT-2, which failed"));
        assertThat(r.out())
                .contains("FAILED required_kAtt2_nonDirtyDeviceOnDirtyHwptIsEinval" + nl
                        + "  K-ATT-2 (required) failed: ATTACH of device b (no dirty tracking) to DIRTY_TRACKING HWPT 4" + nl
                        + "    call:     ATTACH(devId 2, ptId 4) = EBUSY" + nl
                        + "    expected: EINVAL" + nl
                        + "    actual:   EBUSY" + nl
                        + "    hint:     the compatibility check of ATTACH")
                .contains("FAILED: 8 rules failed (6 following from others; fix K-ATT-2 first)");
        assertThat(Files.readString(reports.resolve("tck-report.md"))).contains("### K-ATT-2 `required_kAtt2_nonDirtyDeviceOnDirtyHwptIsEinval`")
                .contains("  call:     ATTACH(devId 2, ptId 4) = EBUSY");
        assertThat(Files.readString(reports.resolve("TEST-junit-jupiter.xml")))
                .contains("K-ATT-2 (required) failed: ATTACH of device b").contains("expected: EINVAL");
    }

    @Test
    void tckWithAUserBackendButNoBackendNamedIsRefused() {
        Cli.Result r = Cli.run("tck", "--class-path", jar.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("tck: the class path brings backend recorder besides the built-in ")
                .contains("name the one to verify with --backend NAME").doesNotContain("Exception");
    }

    @Test
    void aMissingClassPathEntryIsExit2NamingIt() {
        Cli.Result r = Cli.run("--class-path", dir.resolve("nosuch.jar") + ":" + jar, "backends");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("--class-path: " + dir.resolve("nosuch.jar") + ": no such file or directory"
                + System.lineSeparator());
        Cli.Result notAJar = Cli.run("--class-path", dir.resolve("src/com/example/recorder/RecorderProvider.java").toString(),
                "backends");
        assertThat(notAJar.err()).endsWith("RecorderProvider.java: neither a jar nor a directory" + System.lineSeparator());
    }

    @Test
    void aDirectoryOfJarsIsTakenWithStar() {
        Cli.Result r = Cli.run("--class-path", dir + "/*", "backends");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines()).contains("recorder\tavailable");
    }

    @Test
    void helpNamesTheOptionAndTheEnvironmentVariable() {
        Cli.Result top = Cli.run("--help");
        assertThat(top.out()).contains("--class-path=PATH").contains("IOMMUFD4J_CLASS_PATH");
        assertThat(Cli.run("tck", "--help").out()).contains("--class-path=PATH");
    }
}
