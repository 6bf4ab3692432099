package io.github.iommufd4j.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.IommufdBackends;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Attach throughput on the {@code linux} backend ({@code source=selftest}) against the C floor, in one kernel-lab
 * boot (boot 1): the C program {@code kernel-lab/bench/attach_floor} (core's nine ioctls per attach+detach cycle),
 * then {@link AttachThroughput} through core's {@code VfioIommufd} on {@code linux} with JMH in this JVM (the same
 * nine ioctls: incompatibleHwpts 0, profile qemu-9.1), then the C floor again, so a drift of the host's load
 * shows. The figure is the ratio of the Java cycle to the C one: under TCG absolute times move by 2 to 3x with the
 * host's load. Results go to the lab's share ({@code attach-floor.txt}, {@code attach-floor-after.txt},
 * {@code attach-java.json}, {@code attach-java.txt}, {@code attach-ratio.txt}) and to standard output.
 *
 * <p>JMH runs without a fork, in the JUnit JVM (a second JVM would cost some 10 s of start-up under TCG), after
 * {@code -Dkernellab.attach.warmups} (3) and for {@code -Dkernellab.attach.iterations} (5) iterations of 1 s.
 * Skipped on a host without the kernel's selftest mock or without the built floor ({@code kernel-lab/run} builds
 * it); in the lab's guest ({@code -Dkernellab.guest=true}) a missing one fails instead.
 */
@Tag("kernel")
class AttachVersusCFloorKernelIT {
    private static final Pattern RESULT =
            Pattern.compile("RESULT .*best_ns_per_cycle=(\\d+) median_ns_per_cycle=(\\d+)");

    private static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("kernel-lab/bench"))) {
                return p;
            }
        }
        throw new IllegalStateException("no kernel-lab/bench above " + Path.of("").toAbsolutePath());
    }

    private static void require(boolean condition, String reason) {
        if (!condition) {
            if (Boolean.getBoolean("kernellab.guest")) {
                fail("the attach benchmark cannot run in the lab: " + reason);
            }
            Assumptions.abort(reason);
        }
    }

    /** One run of the floor: its output, and the best and median ns per cycle of its RESULT line. */
    private record Floor(String output, long best, long median) {
    }

    private static Floor floor(Path binary) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(binary.toString(), "--cycles", "300", "--rounds", "5", "--warmup", "200")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        assertThat(rc).as("exit status of %s; its output:%n%s", binary, out).isZero();
        Matcher m = RESULT.matcher(out);
        assertThat(m.find()).as("a RESULT line in the floor's output:%n%s", out).isTrue();
        return new Floor(out, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
    }

    @Test
    void attachThroughputOnLinuxAgainstTheCFloor() throws IOException, InterruptedException, RunnerException {
        Path binary = repoRoot().resolve("kernel-lab/bench/target/attach_floor");
        require(Files.exists(Path.of("/dev/iommu")), "/dev/iommu is missing (run it in kernel-lab/run's boot 1)");
        Availability a = IommufdBackends.provider("linux").availability();
        require(a.available(), "the linux backend is unavailable: " + a.reason());
        require(Files.isExecutable(binary), binary + " is not built (kernel-lab/run builds it)");
        Path share = Path.of(System.getProperty("kernellab.out", "/tmp/kernel-lab"));
        Path out = Files.isDirectory(share) && Boolean.getBoolean("kernellab.guest") ? share : Files.createTempDirectory("attach-bench");

        Floor before = floor(binary);
        Files.writeString(out.resolve("attach-floor.txt"), before.output);
        Options opt = new OptionsBuilder()
                .include(AttachThroughput.class.getName() + ".attachDetach")
                .forks(0)
                .warmupIterations(Integer.getInteger("kernellab.attach.warmups", 3))
                .measurementIterations(Integer.getInteger("kernellab.attach.iterations", 5))
                .warmupTime(TimeValue.seconds(1))
                .measurementTime(TimeValue.seconds(1))
                .param("backend", "linux")
                .param("backendOptions", "source=selftest")
                .param("incompatibleHwpts", "0")
                .param("profile", "qemu-9.1")
                .resultFormat(ResultFormatType.JSON)
                .result(out.resolve("attach-java.json").toString())
                .output(out.resolve("attach-java.txt").toString())
                .build();
        Collection<RunResult> results = new Runner(opt).run();
        Floor after = floor(binary);
        Files.writeString(out.resolve("attach-floor-after.txt"), after.output);

        assertThat(results).as("JMH results (log: %s)", out.resolve("attach-java.txt")).hasSize(1);
        RunResult r = results.iterator().next();
        double opsPerMs = r.getPrimaryResult().getScore();
        assertThat(opsPerMs).as("attach+detach cycles per ms on linux").isPositive();
        List<Double> iterations = new ArrayList<>();
        r.getBenchmarkResults().forEach(br -> br.getIterationResults().forEach(ir -> iterations.add(ir.getPrimaryResult().getScore())));
        double javaNs = 1e6 / opsPerMs;
        double bestJavaNs = 1e6 / iterations.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double cMedian = (before.median + after.median) / 2.0;
        long cBest = Math.min(before.best, after.best);
        String line = String.format("attach on linux vs the C floor: RESULT java_ns_per_cycle=%.0f (best iteration %.0f)"
                        + " c_median_ns_per_cycle=%d,%d c_best_ns_per_cycle=%d ratio_to_c_median=%.2f"
                        + " best_java_iteration_to_c_best=%.2f iterations_ops_per_ms=%s%n",
                javaNs, bestJavaNs, before.median, after.median, cBest, javaNs / cMedian, bestJavaNs / cBest, iterations);
        System.out.print(line);
        Files.writeString(out.resolve("attach-ratio.txt"), line);
    }
}
