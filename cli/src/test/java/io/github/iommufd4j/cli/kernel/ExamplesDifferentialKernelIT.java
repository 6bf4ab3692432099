package io.github.iommufd4j.cli.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackends;
import io.github.iommufd4j.api.BackendOptions;
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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The differential check of the kernel lab: every shipped example (examples/*.yaml|json) that the kernel's
 * selftest mock can stand for runs through core's {@link Simulator} twice, on the {@code mock} backend and on
 * the {@code linux} backend with {@code source=selftest}, and the two reports must be equal up to object ids.
 *
 * <p>In reach: no fault step (linux has no FaultInjection) and every device one the linux backend's
 * {@link DeviceProvisioning#cannotCreate} accepts (one IOMMU family, no mdev, no VF dirty tracking, the mock's
 * aperture). Other examples are skipped with the reason. Compared: every field of the JSON report (steps with
 * ok, errno, message and calls with op/flags/result; containers with dirtyPagesSupported/started, HWPT flags
 * and members; devices with attached, iommuDirtyTracking, migration; warnings; dirty written/reported/lost;
 * leakedObjects) except {@code backend}. Ids are renamed {@code #1, #2, ...} in the order of their first
 * appearance in the report (every {@code id} and {@code ...Id} field, call arguments included, ids in leaked
 * objects and after "id"/"hwpt"/"ioas" in messages). A mismatch fails the example with a diff, one line per differing path;
 * the kernel is the reference.
 *
 * <p>Runs in boot 1 of kernel-lab/run; on a host without the selftest mock every example is skipped.
 */
class ExamplesDifferentialKernelIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ID_IN_TEXT =
            Pattern.compile("(?i)\\b(hwpt_id|ioas_id|pt_id|dev_id|id|hwpt|ioas|device)([ =:]+)(\\d+)\\b");
    private static final Pattern LEAKED = Pattern.compile("([A-Z]+) (\\d+)");
    private static final Map<String, String> OUTCOMES = new LinkedHashMap<>();

    @BeforeAll
    static void gate() {
        KernelLab.assumeSelftestKernel();
    }

    @AfterAll
    static void printSummary() {
        if (!OUTCOMES.isEmpty()) {
            StringBuilder sb = new StringBuilder("\nmock vs linux (source=selftest), every shipped example:\n");
            OUTCOMES.forEach((k, v) -> sb.append(String.format("  %-32s %s%n", k, v)));
            long ran = OUTCOMES.values().stream().filter(v -> v.startsWith("ran")).count();
            sb.append(String.format("  %d compared (%d equal), %d skipped%n", ran,
                    OUTCOMES.values().stream().filter(v -> v.equals("ran: equal")).count(), OUTCOMES.size() - ran));
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
        Stream<DynamicTest> each = all.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> compare(f)));
        return Stream.concat(each, Stream.of(DynamicTest.dynamicTest("at least one example compared", () ->
                assertThat(OUTCOMES.values()).as("outcome per example: %s", OUTCOMES)
                        .anyMatch(v -> v.equals("ran: equal")))));
    }

    private static void compare(Path file) throws IOException {
        String name = file.getFileName().toString();
        Scenario scenario = new ScenarioParser().parse(file).scenario();
        Optional<String> outOfReach = outOfReach(scenario);
        if (outOfReach.isPresent()) {
            OUTCOMES.put(name, "skipped: " + outOfReach.get());
            Assumptions.abort("out of the kernel mock's reach: " + outOfReach.get());
            return;
        }
        OUTCOMES.put(name, "ran: did not finish");
        SimulationReport onMock = new Simulator().run(scenario, new SimulationOptions("mock", null)).report();
        SimulationReport onKernel = new Simulator(n -> IommufdBackends.provider(n)
                .open(n.equals("linux") ? KernelLab.SELFTEST : BackendOptions.empty()))
                .run(scenario, new SimulationOptions("linux", null)).report();
        String mockJson = ReportJson.write(onMock);
        String kernelJson = ReportJson.write(onKernel);
        keep(name, mockJson, kernelJson);
        JsonNode mock = normalise(JSON.readTree(mockJson));
        JsonNode kernel = normalise(JSON.readTree(kernelJson));
        List<String> diff = new ArrayList<>();
        diff(mock, kernel, "", diff);
        OUTCOMES.put(name, diff.isEmpty() ? "ran: equal" : "ran: " + diff.size() + " difference(s)");
        assertThat(diff).as("%s: report on mock vs on the kernel (linux, source=selftest), ids normalised;"
                + " each line is path: mock=... linux=...%n%s", name, String.join("\n", diff)).isEmpty();
    }

    /**
     * In the lab's guest, keeps both raw reports in the results share ({@code differential/<example>.mock.json}
     * and {@code .linux.json}; kept on the host with {@code kernel-lab/run --keep} or when the boot fails).
     */
    private static void keep(String name, String mockJson, String kernelJson) throws IOException {
        Path share = Path.of(System.getProperty("kernellab.out", "/tmp/kernel-lab"));
        if (!Boolean.getBoolean("kernellab.guest") || !Files.isDirectory(share)) {
            return;
        }
        Path dir = Files.createDirectories(share.resolve("differential"));
        String base = name.replaceFirst("\\.[a-z]+$", "");
        Files.writeString(dir.resolve(base + ".mock.json"), mockJson);
        Files.writeString(dir.resolve(base + ".linux.json"), kernelJson);
    }

    /** Why the kernel mock cannot run this scenario, or empty when it can. */
    static Optional<String> outOfReach(Scenario s) {
        for (Step step : s.steps()) {
            if (step instanceof Step.Fault f) {
                return Optional.of("fault step (" + f.op() + " " + f.errno() + "): the linux backend has no FaultInjection");
            }
        }
        // As the simulator does: each device is checked after the ones before it were created (the mock's
        // refusal of a second IOMMU family depends on what exists). createDevice only records the spec; the
        // kernel device would be made at bind.
        List<String> why = new ArrayList<>();
        try (IommufdBackend probe = KernelLab.openLinux()) {
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

    /** The report without its backend name and with ids renamed in the order of first appearance. */
    static JsonNode normalise(JsonNode report) {
        ObjectNode copy = report.deepCopy();
        copy.remove("backend");
        Map<String, String> ids = new HashMap<>();
        return rename(copy, null, ids);
    }

    private static JsonNode rename(JsonNode node, String field, Map<String, String> ids) {
        if (node.isObject()) {
            ObjectNode o = (ObjectNode) node;
            Iterator<Map.Entry<String, JsonNode>> it = o.fields();
            List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
            it.forEachRemaining(entries::add);
            for (Map.Entry<String, JsonNode> e : entries) {
                o.set(e.getKey(), rename(e.getValue(), e.getKey(), ids));
            }
            return o;
        }
        if (node.isArray()) {
            ArrayNode a = (ArrayNode) node;
            for (int i = 0; i < a.size(); i++) {
                a.set(i, rename(a.get(i), "leakedObjects".equals(field) ? "leakedObject" : null, ids));
            }
            return a;
        }
        if (node.isIntegralNumber() && isIdField(field)) {
            return TextNode.valueOf(id(ids, node.asText()));
        }
        if (node.isTextual() && "leakedObject".equals(field)) {
            Matcher m = LEAKED.matcher(node.asText());
            return TextNode.valueOf(m.matches() ? m.group(1) + " " + id(ids, m.group(2)) : node.asText());
        }
        if (node.isTextual() && ("message".equals(field) || "warnings".equals(field))) {
            Matcher m = ID_IN_TEXT.matcher(node.asText());
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + m.group(2) + id(ids, m.group(3))));
            }
            m.appendTail(sb);
            return TextNode.valueOf(sb.toString());
        }
        return node;
    }

    /** Object-id fields: {@code id}, and every field ending in {@code Id} ({@code ioasId}, {@code devId}, call outputs). */
    static boolean isIdField(String field) {
        return field != null && (field.equals("id") || field.endsWith("Id"));
    }

    private static String id(Map<String, String> ids, String raw) {
        return ids.computeIfAbsent(raw, k -> "#" + (ids.size() + 1));
    }

    /** One line per path where the two trees differ. */
    static void diff(JsonNode mock, JsonNode kernel, String path, List<String> out) {
        if (mock != null && kernel != null && mock.isObject() && kernel.isObject()) {
            List<String> names = new ArrayList<>();
            mock.fieldNames().forEachRemaining(names::add);
            kernel.fieldNames().forEachRemaining(n -> {
                if (!names.contains(n)) {
                    names.add(n);
                }
            });
            for (String n : names) {
                diff(mock.get(n), kernel.get(n), path.isEmpty() ? n : path + "." + n, out);
            }
        } else if (mock != null && kernel != null && mock.isArray() && kernel.isArray()) {
            for (int i = 0; i < Math.max(mock.size(), kernel.size()); i++) {
                diff(mock.get(i), kernel.get(i), path + "[" + i + "]", out);
            }
        } else if (mock == null || !mock.equals(kernel)) {
            out.add(path + ": mock=" + (mock == null ? "(absent)" : mock) + " linux=" + (kernel == null ? "(absent)" : kernel));
        }
    }
}
