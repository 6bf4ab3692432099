package io.github.iommufd4j.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A cross-check of {@link AttachThroughput} that a loaded machine does not distort: the same setup and the same
 * attach+detach cycle, timed by the benchmark thread's own CPU time ({@link ThreadMXBean#getCurrentThreadCpuTime()})
 * instead of the wall clock, so time spent preempted by other processes does not count. On 2 shared cores at a
 * load of 8, JMH's wall-clock scores of the same code move by 2 to 4x between runs; the CPU time per cycle moves by
 * a few percent. Not a JMH benchmark: {@code java -cp benchmarks/target/benchmarks.jar
 * io.github.iommufd4j.benchmarks.AttachCpuTime [profile] [incompatibleHwpts...]}.
 *
 * <p>Per parameter: setup as the benchmark's, 300,000 warm-up cycles, then 15 rounds of 5,000 cycles; prints the
 * best and the median round in CPU ns per cycle, and each N's cost relative to the first N given.
 */
public final class AttachCpuTime {
    private AttachCpuTime() {
    }

    public static void main(String[] args) {
        String profile = args.length > 0 ? args[0] : "qemu-9.1+probe-cache";
        List<Integer> ns = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            ns.add(Integer.parseInt(args[i]));
        }
        if (ns.isEmpty()) {
            ns = List.of(0, 256);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isCurrentThreadCpuTimeSupported()) {
            throw new IllegalStateException("this JVM cannot read a thread's CPU time");
        }
        double first = 0;
        for (int n : ns) {
            AttachThroughput b = new AttachThroughput();
            b.backend = "mock";
            b.backendOptions = "";
            b.profile = profile;
            b.incompatibleHwpts = n;
            b.setUp();
            try {
                int sink = 0;
                for (int i = 0; i < 300_000; i++) {
                    sink += b.cycle();
                }
                List<Double> rounds = new ArrayList<>();
                for (int r = 0; r < 15; r++) {
                    long t0 = mx.getCurrentThreadCpuTime();
                    for (int i = 0; i < 5_000; i++) {
                        sink += b.cycle();
                    }
                    rounds.add((mx.getCurrentThreadCpuTime() - t0) / 5_000.0);
                }
                Collections.sort(rounds);
                double best = rounds.get(0);
                double median = rounds.get(rounds.size() / 2);
                if (first == 0) {
                    first = median;
                }
                System.out.printf("AttachCpuTime profile=%s incompatibleHwpts=%d: best %.0f, median %.0f CPU ns/cycle;"
                        + " median %.2fx the first%s%n", profile, n, best, median, median / first, sink == 42 ? " " : "");
            } finally {
                b.tearDown();
            }
        }
    }
}
