package io.github.iommufd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend writer's path from the README, as processes: {@code ./iommufd4j new-backend acme} makes a project,
 * {@code mvn verify} on it builds against the iommufd4j artifacts installed in the local repository and runs the
 * TCK two ways, {@code ./run-tck} the third; the deliberately broken backend is red in all three with rule, call,
 * expected and actual on the console, and an ambiguous backend choice fails loudly.
 *
 * <p>Slow (about a minute): not part of {@code mvn verify}. {@code .ci/backend-template} installs the artifacts
 * into a local repository of its own ({@code -Diommufd4j.it.repo}) and runs it; {@code .ci/run} calls that. Maven
 * runs offline ({@code -o}) unless {@code -Diommufd4j.it.offline=false}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackendTemplateIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final boolean OFFLINE = !"false".equals(System.getProperty("iommufd4j.it.offline"));
    /** The local repository the artifacts under test were installed into (.ci/backend-template's own), or null. */
    private static final String REPO = System.getProperty("iommufd4j.it.repo");

    @TempDir
    static Path work;
    static Path project;

    record Run(int exit, String output, long millis) {
    }

    static Run run(Path dir, Map<String, String> env, String... command) throws IOException, InterruptedException {
        long start = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().remove("IOMMUFD4J_CLASS_PATH");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 10 minutes");
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("BackendTemplateIT: %-90s exit %d, %5d ms%n", String.join(" ", command), p.exitValue(), ms);
        return new Run(p.exitValue(), out, ms);
    }

    static Run mvn(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("mvn", "-B"));
        if (OFFLINE) {
            cmd.add("-o");
        }
        if (REPO != null && !REPO.isBlank()) {
            cmd.add("-Dmaven.repo.local=" + REPO);
        }
        cmd.addAll(List.of(args));
        return run(project, Map.of(), cmd.toArray(String[]::new));
    }

    @BeforeAll
    static void createTheProject() throws Exception {
        project = work.resolve("acme");
        Run created = run(ROOT, Map.of(), ROOT.resolve("iommufd4j").toString(), "new-backend", "acme", "--dir", project.toString());
        assertThat(created.exit()).as(created.output()).isZero();
        assertThat(created.output()).contains("created " + project + ": backend 'acme'");
        assertThat(Files.readString(project.resolve("run-tck"))).contains("${IOMMUFD4J:-" + ROOT.resolve("iommufd4j") + "}");
    }

    @Test
    @Order(1)
    void mvnVerify_isGreenAtTheFirstTry_twoWays() throws Exception {
        Run r = mvn("verify");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output())
                .contains("iommufd4j TCK AcmeBackendTckTest: 35 required (35 passed, 0 failed, 0 skipped), 7 optional (7 passed,")
                .contains("iommufd4j TCK ServiceLoaderBackendTck: 35 required (35 passed, 0 failed, 0 skipped), 7 optional (7 passed,")
                .contains("Tests run: 84, Failures: 0, Errors: 0, Skipped: 0")
                .contains("BUILD SUCCESS")
                .doesNotContain("doesn't support dirty tracking"); // iommufd4j.tck.qemuLog=off
    }

    @Test
    @Order(2)
    void runTck_isGreen_theThirdWay() throws Exception {
        Run r = run(project, Map.of(), "./run-tck", "--quiet");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("acme: 35 required (35 passed, 0 failed, 0 skipped), 7 optional (7 passed, 0 failed, 0 skipped)")
                .contains("PASSED: no rule failed, every required rule ran");
        assertThat(project.resolve("target/tck-report/tck-report.md")).exists();
    }

    @Test
    @Order(3)
    void theEnvironmentVariable_loadsTheBackendForTheLauncher() throws Exception {
        Run r = run(project, Map.of("IOMMUFD4J_CLASS_PATH", project.resolve("target/classes").toString()),
                ROOT.resolve("iommufd4j").toString(), "backends");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output().lines()).contains("acme\tavailable", "mock\tavailable");
    }

    @Test
    @Order(4)
    void mvnVerify_deliberatelyBroken_isRedWithRuleCallExpectedAndActual() throws Exception {
        Run r = mvn("verify", "-Diommufd4j.backend.options=deliberately-broken=true");
        assertThat(r.exit()).isNotZero();
        assertThat(r.output())
                .contains("K-ATT-2 (required) failed: ATTACH of device b (no dirty tracking) to DIRTY_TRACKING HWPT 4\n"
                        + "  call:     ATTACH(devId 2, ptId 4) = EBUSY\n"
                        + "  expected: EINVAL\n"
                        + "  actual:   EBUSY\n"
                        + "  hint:     the compatibility check of ATTACH")
                .contains("Q-ATT-3 (required) follows from K-ATT-2, which failed:")
                .contains("FAILED: 8 rules failed (6 following from others; fix K-ATT-2 first)")
                .contains("Tests run: 84, Failures: 16, Errors: 0, Skipped: 0")
                .contains("BUILD FAILURE");
    }

    @Test
    @Order(5)
    void runTck_deliberatelyBroken_isRedWithRuleCallExpectedAndActual() throws Exception {
        Run r = run(project, Map.of(), "./run-tck", "--quiet", "--backend-option", "deliberately-broken=true");
        assertThat(r.exit()).as(r.output()).isEqualTo(TckCommand.EXIT_RULE_FAILED);
        assertThat(r.output())
                .contains("  K-ATT-2 (required) failed: ATTACH of device b (no dirty tracking) to DIRTY_TRACKING HWPT 4\n"
                        + "    call:     ATTACH(devId 2, ptId 4) = EBUSY\n"
                        + "    expected: EINVAL\n"
                        + "    actual:   EBUSY\n")
                .contains("FAILED: 8 rules failed (6 following from others; fix K-ATT-2 first)");
    }

    @Test
    @Order(6)
    void mvnVerify_withTheBackendChoiceLeftOut_failsLoudly() throws Exception {
        Run r = mvn("verify", "-Diommufd4j.backend=");
        assertThat(r.exit()).isNotZero();
        assertThat(r.output())
                .contains("TckRunFailure: several iommufd4j backends on the class path (acme, mock), and none chosen:"
                        + " set -Diommufd4j.backend=NAME")
                .contains("BUILD FAILURE")
                .doesNotContain("Skipped: 42");
    }
}
