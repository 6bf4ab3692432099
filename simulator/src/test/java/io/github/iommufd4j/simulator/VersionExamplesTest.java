package io.github.iommufd4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.simulator.io.ScenarioParser;
import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.DeviceReport;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.Scenario;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The table "The same scenario under each profile" of {@code docs/versions.md}: each version example of
 * {@code examples/} runs under every QEMU profile, and each cell of the table is what the run shows for the steps
 * and devices the row is about. The cells are checked, not only the example's own profile (whose whole report is
 * {@code examples/expected/}): a table that says what a profile does not do fails here, and the message prints the
 * row as the runs give it.
 */
class VersionExamplesTest {
    static final List<String> PROFILES = List.of("qemu-9.1", "qemu-10.0", "qemu-10.1", "qemu-10.2", "qemu-11.0");

    /**
     * What each row is about.
     *
     * @param steps   the step indexes shown
     * @param devices the devices whose migration decision is shown
     * @param lost    whether the lost pages are shown
     */
    record Focus(List<Integer> steps, List<String> devices, boolean lost) {
    }

    static final Map<String, Focus> ROWS = new LinkedHashMap<>();

    static {
        ROWS.put("hw-info-after-attach.yaml", new Focus(List.of(0, 1, 3), List.of(), false));
        ROWS.put("viommu-unmap-all.yaml", new Focus(List.of(2), List.of(), false));
        ROWS.put("nesting-parent-x-flts.yaml", new Focus(List.of(0), List.of("vf0"), true));
        ROWS.put("nesting-parent-smmuv3.yaml", new Focus(List.of(0, 2), List.of("vf2"), false));
        ROWS.put("viommu-unmap-during-tracking.yaml", new Focus(List.of(4), List.of("t0"), true));
        ROWS.put("ram-unmap-during-tracking.yaml", new Focus(List.of(4), List.of(), false));
        ROWS.put("read-only-memory.yaml", new Focus(List.of(4), List.of(), false));
        ROWS.put("large-memory-blocker.yaml", new Focus(List.of(1), List.of("vf1"), false));
    }

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("examples").resolve("expected")) && Files.isDirectory(p.resolve("docs"))) {
                return p;
            }
        }
        throw new IllegalStateException("no examples/ and docs/ above " + Path.of("").toAbsolutePath());
    }

    static String call(CallReport c) {
        String flags = c.flags() == null ? "" : " " + c.flags();
        String noClear = Boolean.TRUE.equals(c.args().get("noClear")) ? " NO_CLEAR" : "";
        // the unmap-all calls (Q-EV-9) show their range: from 0 or from 2^63
        String range = c.op().equals("IOAS_UNMAP") && List.of("0x0", "0x8000000000000000").contains(c.args().get("iova"))
                ? "(" + c.args().get("iova") + ", " + c.args().get("length") + ")" : "";
        return c.op() + flags + noClear + range + (c.result().equals(CallReport.OK) ? "" : " " + c.result());
    }

    /** The cell of {@code r} for {@code focus}. */
    static String cell(SimulationReport r, Focus focus) {
        List<String> parts = new ArrayList<>();
        for (int i : focus.steps()) {
            StepReport s = r.steps().get(i);
            String calls = s.calls().isEmpty() ? "no call" : s.calls().stream().map(VersionExamplesTest::call)
                    .collect(Collectors.joining(", "));
            String message = s.message() == null ? null : s.message().replaceFirst(": profile .*", "");
            parts.add("#" + i + " " + s.op() + (s.target() == null ? "" : " " + s.target()) + ": " + calls
                    + (s.ok() ? "" : " → fails: " + message));
        }
        for (String d : focus.devices()) {
            DeviceReport dev = r.devices().stream().filter(x -> x.name().equals(d)).findFirst().orElseThrow();
            String m = dev.migration() == null ? "not realized" : dev.migration().allowed() ? "allowed"
                    : (dev.migration().fatal() ? "fatal (" : "blocked (") + rule(dev.migration().message()) + ")";
            parts.add(d + " " + m);
        }
        if (focus.lost()) {
            parts.add("lost " + r.dirty().lost().stream().mapToLong(l -> l.pages()).sum());
        }
        return String.join("; ", parts);
    }

    /** The row of section 5 or 6 of {@code docs/reference/qemu-rules.md} a blocker's text belongs to. */
    static String rule(String message) {
        Map<String, String> texts = Map.of("Migration is currently not supported with vIOMMU enabled", "Q-MIG-5",
                "doesn't support device and IOMMU dirty tracking", "Q-MIG-3",
                "large memory VM due to dirty tracking limitation", "Q-EV-11",
                "Migration not supported with SMMUv3 accelerator mode enabled", "Q-EV-13",
                "Migration is disabled for VFIO device", "Q-MIG-1", "VFIO migration is not supported in kernel", "Q-MIG-2",
                "supported only if all of them support P2P migration", "Q-MIG-4");
        return texts.entrySet().stream().filter(e -> message.contains(e.getKey())).map(Map.Entry::getValue).findFirst()
                .orElse(message);
    }

    /** The table's rows: example file name to its cells, in {@link #PROFILES} order. */
    static Map<String, List<String>> table(Path versions) throws IOException {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(versions)) {
            if (!line.startsWith("| `") || !line.contains(".yaml` |")) {
                continue;
            }
            String[] cells = line.substring(1, line.length() - 1).split(" \\| ", -1);
            String name = cells[0].trim().replace("`", "");
            if (ROWS.containsKey(name) && cells.length == PROFILES.size() + 1) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i < cells.length; i++) {
                    row.add(cells[i].trim());
                }
                rows.put(name, row);
            }
        }
        return rows;
    }

    @Test
    @DisplayName("docs/versions.md: every cell of the version table is what the example does under that profile")
    void theVersionTableIsWhatTheRunsShow() throws IOException {
        Path root = root();
        Map<String, List<String>> table = table(root.resolve("docs").resolve("versions.md"));
        List<String> wrong = new ArrayList<>();
        ScenarioParser parser = new ScenarioParser();
        for (Map.Entry<String, Focus> row : ROWS.entrySet()) {
            Scenario s = parser.parse(root.resolve("examples").resolve(row.getKey())).scenario();
            List<String> cells = new ArrayList<>();
            for (String p : PROFILES) {
                cells.add(cell(new Simulator().run(s, new SimulationOptions("mock", p)).report(), row.getValue()));
            }
            if (!cells.equals(table.get(row.getKey()))) {
                wrong.add("| `" + row.getKey() + "` | " + String.join(" | ", cells) + " |");
            }
        }
        assertThat(wrong).as("rows of docs/versions.md that differ from the runs (as the runs give them)").isEmpty();
        assertThat(table).containsOnlyKeys(ROWS.keySet());
    }

    @Test
    @DisplayName("each version example's own profile is the first whose cell differs from the profile before")
    void eachExampleNamesTheProfileThatChangesIt() throws IOException {
        Path root = root();
        ScenarioParser parser = new ScenarioParser();
        for (Map.Entry<String, Focus> row : ROWS.entrySet()) {
            Scenario s = parser.parse(root.resolve("examples").resolve(row.getKey())).scenario();
            int own = PROFILES.indexOf(s.profile());
            assertThat(own).as("%s names a QEMU profile after 10.0", row.getKey()).isGreaterThan(1);
            String before = cell(new Simulator().run(s, new SimulationOptions("mock", PROFILES.get(own - 1))).report(),
                    row.getValue());
            String at = cell(new Simulator().run(s, new SimulationOptions("mock", PROFILES.get(own))).report(), row.getValue());
            assertThat(at).as("%s under %s and the profile before", row.getKey(), s.profile()).isNotEqualTo(before);
        }
    }
}
