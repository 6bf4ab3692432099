package io.github.iommufd4j.cli.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackends;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.FaultInjection;
import io.github.iommufd4j.backend.linux.KernelFaults;
import io.github.iommufd4j.simulator.compare.ReportDiff;
import io.github.iommufd4j.simulator.io.ReportJson;
import io.github.iommufd4j.simulator.io.ScenarioParser;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import io.github.iommufd4j.simulator.SimulationOptions;
import io.github.iommufd4j.simulator.Simulator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The differential check of the kernel lab: every shipped example (examples/*.yaml|json) that the kernel can
 * stand for runs through core's {@link Simulator} on the {@code mock} backend and on the {@code linux} backend
 * ({@link KernelLab#DIFFERENTIAL}: selftest mock devices, mtty mdevs, VF dirty tracking declared), and the two
 * reports must be equal up to object ids. {@code fault} steps run through the simulator's
 * {@code FaultInjectingBackend} in front of {@code linux}. An example with fault steps the kernel can make
 * ({@link KernelFaults}) runs a second time on {@code linux} with {@code faults=kernel}, and that report must equal
 * the mock's too, with every fault fired by the kernel as asked.
 *
 * <p>In reach: every device one the linux backend's {@link DeviceProvisioning#cannotCreate} accepts (one IOMMU
 * family, the mock's aperture, mdevs without VF dirty tracking), and no DMA logging call in the mock's run (a
 * selftest device's VF dirty tracking is only declared: its DMA logging answers ENOTTY). Other examples are
 * skipped with the reason. Compared: every field of the JSON report (steps with
 * ok, errno, message and calls with op/flags/result; containers with dirtyPagesSupported/started, HWPT flags
 * and members; devices with attached, iommuDirtyTracking, migration; warnings; dirty written/reported/lost;
 * leakedObjects) except {@code backend}, ids renamed as {@link ReportDiff} does (in the order objects are made: a
 * call's output id always names a new object, since ids are reused after an object is destroyed). A mismatch fails the example with a diff, one line per differing path;
 * the kernel is the reference.
 *
 * <p>Runs in boot 1 of kernel-lab/run; on a host without the selftest mock every example is skipped.
 */
class ExamplesDifferentialKernelIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> OUTCOMES = new LinkedHashMap<>();
    private static final String KERNEL_MADE = " (kernel-made faults)";
    /** The shipped examples the kernel lab compares (issue 17): fewer compared equal fails the run. */
    static final int MIN_COMPARED = 12;

    @BeforeAll
    static void gate() {
        KernelLab.assumeSelftestKernel();
    }

    @AfterAll
    static void printSummary() {
        if (!OUTCOMES.isEmpty()) {
            StringBuilder sb = new StringBuilder("\nmock vs linux (" + KernelLab.DIFFERENTIAL + "), every shipped example:\n");
            OUTCOMES.forEach((k, v) -> sb.append(String.format("  %-52s %s%n", k, v)));
            Map<String, String> plain = new LinkedHashMap<>();
            Map<String, String> kernelMade = new LinkedHashMap<>();
            OUTCOMES.forEach((k, v) -> (k.endsWith(KERNEL_MADE) ? kernelMade : plain).put(k, v));
            long ran = plain.values().stream().filter(v -> v.startsWith("ran")).count();
            sb.append(String.format("  %d compared (%d equal), %d skipped; with kernel-made faults: %d compared (%d equal),"
                    + " %d refused%n", ran, plain.values().stream().filter(v -> v.equals("ran: equal")).count(), plain.size() - ran,
                    kernelMade.values().stream().filter(v -> v.startsWith("ran")).count(),
                    kernelMade.values().stream().filter(v -> v.startsWith("ran: equal")).count(),
                    kernelMade.values().stream().filter(v -> v.startsWith("refused")).count()));
            System.out.print(sb);
        }
    }

    static Path examplesDir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("examples");
            if (Files.isDirectory(candidate.resolve("expected"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no examples/expected directory above " + Path.of("").toAbsolutePath());
    }

    static List<Path> examples() {
        try (Stream<Path> files = Files.list(examplesDir())) {
            return files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")
                    || f.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @TestFactory
    Stream<DynamicTest> everyExampleInReachGivesTheSameReportOnMockAndKernel() {
        List<Path> all = examples();
        assertThat(all).as("shipped examples").isNotEmpty();
        List<DynamicTest> tests = new ArrayList<>();
        for (Path f : all) {
            String name = f.getFileName().toString();
            tests.add(DynamicTest.dynamicTest(name, () -> compare(f)));
            tests.add(DynamicTest.dynamicTest(name + KERNEL_MADE, () -> compareKernelMade(f)));
        }
        tests.add(DynamicTest.dynamicTest("at least " + MIN_COMPARED + " examples compared, at least one with kernel-made faults",
                () -> {
                    assertThat(OUTCOMES.entrySet().stream().filter(e -> !e.getKey().endsWith(KERNEL_MADE)
                            && e.getValue().equals("ran: equal")).count()).as("examples compared equal: %s", OUTCOMES)
                            .isGreaterThanOrEqualTo(MIN_COMPARED);
                    assertThat(OUTCOMES.entrySet().stream().filter(e -> e.getKey().endsWith(KERNEL_MADE)
                            && e.getValue().startsWith("ran: equal")).count()).as("kernel-made: %s", OUTCOMES).isPositive();
                }));
        return tests.stream();
    }

    /** The example's report on mock, and why the kernel cannot run it (empty when it can). */
    private record OnMock(SimulationReport report, String json, Optional<String> outOfReach) {
    }

    private static final Map<String, OnMock> MOCK_RUNS = new HashMap<>();

    private static OnMock onMock(Path file) throws IOException {
        String name = file.getFileName().toString();
        OnMock known = MOCK_RUNS.get(name);
        if (known != null) {
            return known;
        }
        Scenario scenario = new ScenarioParser().parse(file).scenario();
        SimulationReport report = new Simulator().run(scenario, new SimulationOptions("mock", null)).report();
        Optional<String> why = outOfReach(scenario);
        if (why.isEmpty()) {
            why = dmaLogging(report);
        }
        OnMock m = new OnMock(report, ReportJson.write(report), why);
        MOCK_RUNS.put(name, m);
        return m;
    }

    private static void compare(Path file) throws IOException {
        String name = file.getFileName().toString();
        OnMock mock = onMock(file);
        if (mock.outOfReach.isPresent()) {
            OUTCOMES.put(name, "skipped: " + mock.outOfReach.get());
            Assumptions.abort("out of the kernel's reach: " + mock.outOfReach.get());
            return;
        }
        OUTCOMES.put(name, "ran: did not finish");
        Scenario scenario = new ScenarioParser().parse(file).scenario();
        SimulationReport onKernel = new Simulator(n -> IommufdBackends.provider(n)
                .open(n.equals("linux") ? KernelLab.DIFFERENTIAL : BackendOptions.empty()))
                .run(scenario, new SimulationOptions("linux", null)).report();
        String kernelJson = ReportJson.write(onKernel);
        keep(name, "linux", mock.json, kernelJson);
        List<String> diff = differences(mock.json, kernelJson);
        OUTCOMES.put(name, diff.isEmpty() ? "ran: equal" : "ran: " + diff.size() + " difference(s)");
        assertThat(diff).as("%s: report on mock vs on the kernel (linux, %s), ids normalised;"
                + " each line is path: mock=... linux=...%n%s", name, KernelLab.DIFFERENTIAL, String.join("\n", diff)).isEmpty();
    }

    /**
     * An example with fault steps, with every fault made by the kernel ({@code faults=kernel}): skipped (not
     * failed) when the kernel cannot make one of them, refused by {@link FaultInjection#failNth}; otherwise the
     * report must equal the mock's and every fault must have fired as asked.
     */
    private static void compareKernelMade(Path file) throws IOException {
        String name = file.getFileName().toString();
        Scenario scenario = new ScenarioParser().parse(file).scenario();
        List<Step.Fault> faults = scenario.steps().stream().filter(Step.Fault.class::isInstance).map(Step.Fault.class::cast).toList();
        if (faults.isEmpty()) {
            Assumptions.abort("no fault step");
            return;
        }
        OnMock mock = onMock(file);
        if (mock.outOfReach.isPresent()) {
            OUTCOMES.put(name + KERNEL_MADE, "skipped: as above");
            Assumptions.abort("out of the kernel's reach: " + mock.outOfReach.get());
            return;
        }
        Optional<String> refused = kernelCannotMake(faults);
        if (refused.isPresent()) {
            OUTCOMES.put(name + KERNEL_MADE, "refused: " + refused.get());
            Assumptions.abort("the kernel cannot make this fault: " + refused.get());
            return;
        }
        OUTCOMES.put(name + KERNEL_MADE, "ran: did not finish");
        AtomicReference<IommufdBackend> opened = new AtomicReference<>();
        SimulationReport onKernel = new Simulator(n -> {
            IommufdBackend b = IommufdBackends.provider(n).open(n.equals("linux") ? KernelLab.KERNEL_FAULTS : BackendOptions.empty());
            opened.set(b);
            return b;
        }).run(scenario, new SimulationOptions("linux", null)).report();
        String kernelJson = ReportJson.write(onKernel);
        keep(name, "linux-kernel-faults", mock.json, kernelJson);
        List<KernelFaults.Shot> shots = ((KernelFaults) opened.get().faultInjection().orElseThrow()).shots();
        List<String> diff = differences(mock.json, kernelJson);
        OUTCOMES.put(name + KERNEL_MADE, (diff.isEmpty() ? "ran: equal" : "ran: " + diff.size() + " difference(s)") + "; " + shots);
        assertThat(shots).as("%s: what the kernel did with each fault step", name).hasSize(faults.size())
                .allSatisfy(s -> assertThat(s.asAsked()).as("%s", s).isTrue());
        assertThat(diff).as("%s: report on mock vs on the kernel (linux, %s), ids normalised;"
                + " each line is path: mock=... linux=...%n%s", name, KernelLab.KERNEL_FAULTS, String.join("\n", diff)).isEmpty();
    }

    /** Why the kernel cannot make one of {@code faults} (its {@code failNth} refuses it), or empty. */
    private static Optional<String> kernelCannotMake(List<Step.Fault> faults) {
        try (IommufdBackend probe = KernelLab.openLinux(KernelLab.KERNEL_FAULTS)) {
            FaultInjection f = probe.faultInjection().orElseThrow();
            for (Step.Fault fault : faults) {
                try {
                    f.failNth(fault.op(), fault.nth(), fault.errno());
                } catch (UnsupportedOperationException e) {
                    return Optional.of(e.getMessage());
                }
            }
            f.clearFaults();
        }
        return Optional.empty();
    }

    /** Out of reach when the mock's run calls DMA logging: a selftest device's VF dirty tracking is only declared. */
    static Optional<String> dmaLogging(SimulationReport onMock) {
        return onMock.steps().stream().flatMap(st -> st.calls().stream().map(c -> c.op() + " in step " + st.index()
                        + " (" + st.op() + (st.target() == null ? "" : " " + st.target()) + ")"))
                .filter(c -> c.contains("DMA_LOGGING")).findFirst().map(c -> "core calls VF DMA logging (" + c
                        + "), and a device log with dirty pages is out of reach (the selftest mock has no DMA logging;"
                        + " mtty's never sets a bit)");
    }

    /** The reports' differences ({@link ReportDiff}), their backend names left out. */
    private static List<String> differences(String mockJson, String kernelJson) throws IOException {
        return ReportDiff.differences(ReportDiff.normalise(JSON.readTree(mockJson)),
                ReportDiff.normalise(JSON.readTree(kernelJson)), "mock", "linux",
                (path, values) -> path.equals("backend"));
    }

    /**
     * In the lab's guest, keeps both raw reports in the results share ({@code differential/<example>.mock.json}
     * and {@code .<variant>.json}; kept on the host with {@code kernel-lab/run --keep} or when the boot fails).
     */
    private static void keep(String name, String variant, String mockJson, String kernelJson) throws IOException {
        Path share = Path.of(System.getProperty("kernellab.out", "/tmp/kernel-lab"));
        if (!Boolean.getBoolean("kernellab.guest") || !Files.isDirectory(share)) {
            return;
        }
        Path dir = Files.createDirectories(share.resolve("differential"));
        String base = name.replaceFirst("\\.[a-z]+$", "");
        Files.writeString(dir.resolve(base + ".mock.json"), mockJson);
        Files.writeString(dir.resolve(base + "." + variant + ".json"), kernelJson);
    }

    /** Which of this scenario's devices the kernel cannot stand for, or empty when it can make them all. */
    static Optional<String> outOfReach(Scenario s) {
        // As the simulator does: each device is checked after the ones before it were created (the mock's
        // refusal of a second IOMMU family depends on what exists). createDevice only records the spec; the
        // kernel device would be made at bind.
        List<String> why = new ArrayList<>();
        try (IommufdBackend probe = KernelLab.openLinux(KernelLab.DIFFERENTIAL)) {
            DeviceProvisioning prov = probe.provisioning().orElseThrow();
            for (DeviceDef d : s.devices()) {
                IommuDef iommu = s.iommu(d.iommu());
                DeviceSpec spec = new DeviceSpec(d.name(), prov.iommu(iommu.id(), iommu.family(),
                        iommu.dirtyTracking(), iommu.nestParent()), d.mdev(), d.vfDirtyTracking(), d.migration(), d.p2p());
                Optional<String> no = prov.cannotCreate(spec);
                if (no.isPresent()) {
                    why.add(d.name() + ": " + no.get());
                } else {
                    prov.createDevice(spec);
                }
            }
        }
        return why.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", why));
    }
}
