package io.github.iommufd4j.simulator.compare;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.github.iommufd4j.simulator.io.ReportJson;
import io.github.iommufd4j.simulator.io.ScenarioParser;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.SimulationOptions;
import io.github.iommufd4j.simulator.Simulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The labs' comparison of two reports (the kernel lab's mock against linux, the qemu lab's core against QEMU):
 * reports that differ only in object ids compare equal, and a real difference comes out as one line naming its path
 * and both values.
 */
class ReportDiffTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path examples() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("examples").resolve("expected"))) {
                return p.resolve("examples");
            }
        }
        throw new IllegalStateException("no examples/ above " + Path.of("").toAbsolutePath());
    }

    private static List<String> differences(JsonNode mock, JsonNode linux) {
        return ReportDiff.differences(ReportDiff.normalise(mock), ReportDiff.normalise(linux), "mock", "linux");
    }

    private static JsonNode mockReport(String example) throws Exception {
        Scenario s = new ScenarioParser().parse(examples().resolve(example)).scenario();
        return JSON.readTree(ReportJson.write(new Simulator().run(s, new SimulationOptions("mock", null)).report()));
    }

    /** The same report with every id field moved by {@code delta}, as another backend would number them. */
    private static JsonNode shiftIds(JsonNode node, String field, int delta) {
        if (node.isObject()) {
            ObjectNode o = ((ObjectNode) node).deepCopy();
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            names.forEach(n -> o.set(n, shiftIds(o.get(n), n, delta)));
            return o;
        }
        if (node.isArray()) {
            ArrayNode a = ((ArrayNode) node).deepCopy();
            for (int i = 0; i < a.size(); i++) {
                a.set(i, shiftIds(a.get(i), field, delta));
            }
            return a;
        }
        if (node.isIntegralNumber() && field != null && (field.equals("id") || field.endsWith("Id"))) {
            return IntNode.valueOf(node.asInt() + delta);
        }
        return node;
    }

    @Test
    void reportsThatDifferOnlyInIdsAreEqual() throws Exception {
        JsonNode mock = mockReport("newest-first.yaml");
        ObjectNode other = (ObjectNode) shiftIds(mock, null, 7);
        assertThat(other.at("/containers/0/ioasId").asInt()).isEqualTo(mock.at("/containers/0/ioasId").asInt() + 7);
        assertThat(differences(mock, other)).isEmpty();
        other.set("backend", TextNode.valueOf("linux"));
        assertThat(differences(mock, other)).containsExactly("backend: mock=\"mock\" linux=\"linux\"");
    }

    @Test
    void valuesASideDeclaresEqualAreLeftOut() throws Exception {
        JsonNode mock = mockReport("newest-first.yaml");
        ObjectNode other = mock.deepCopy();
        other.set("backend", TextNode.valueOf("linux"));
        assertThat(ReportDiff.differences(ReportDiff.normalise(mock), ReportDiff.normalise(other), "mock", "linux",
                (path, values) -> path.equals("backend"))).isEmpty();
        assertThat(mock.get("backend").asText()).isEqualTo("mock");
    }

    @Test
    void aDifferentFlagOrSharedIdIsReportedWithItsPath() throws Exception {
        JsonNode mock = mockReport("order-dirty-first.yaml");
        ObjectNode other = (ObjectNode) shiftIds(mock, null, 3);
        ((ArrayNode) other.at("/containers/0/hwpts/1/flags")).removeAll();
        // vf1 claims vf0's HWPT: after renaming, the ids no longer line up
        ((ObjectNode) other.at("/devices/1")).set("hwptId", other.at("/devices/0/hwptId"));
        assertThat(differences(mock, other)).containsExactly(
                "containers[0].hwpts[1].flags[0]: mock=\"DIRTY_TRACKING\" linux=(absent)",
                "devices[1].hwptId: mock=" + normalisedId(mock, "/devices/1/hwptId")
                        + " linux=" + normalisedId(mock, "/devices/0/hwptId"));
    }

    private static String normalisedId(JsonNode report, String pointer) {
        return ReportDiff.normalise(report).at(pointer).toString();
    }

    /** Calls of one step: {@code [op, key, id, key, id, ...]} each. */
    private static ObjectNode report(int[][] steps, int containerIoas) {
        ObjectNode r = JSON.createObjectNode();
        ArrayNode st = r.putArray("steps");
        for (int[] step : steps) {
            ArrayNode calls = st.addObject().putArray("calls");
            for (int i = 0; i < step.length; i += 2) {
                String key = switch (step[i]) {
                    case 0 -> "outDevId";
                    case 1 -> "outIoasId";
                    case 2 -> "devId";
                    default -> "ptId";
                };
                calls.addObject().put(key, step[i + 1]);
            }
        }
        r.putArray("containers").addObject().put("ioasId", containerIoas);
        return r;
    }

    @Test
    void anIdReusedForAnotherObjectAfterARollbackComparesByWhatEachCallMade() {
        // mock: vf0 bound as 1 with IOAS 2, rolled back; md0 bound as 1 again with IOAS 2 again.
        ObjectNode mock = report(new int[][] {{0, 1, 1, 2}, {0, 1, 1, 2, 2, 1, 3, 2}}, 2);
        // linux: vf0 bound as 3 with IOAS 5 (ids 1 and 2 hold objects the report never shows), rolled back; md0 as 2
        // with IOAS 3: vf0's old device id, now an IOAS.
        ObjectNode linux = report(new int[][] {{0, 3, 1, 5}, {0, 2, 1, 3, 2, 2, 3, 3}}, 3);
        assertThat(differences(mock, linux)).isEmpty();
        // md0 attached to vf0's destroyed IOAS 5 instead of its own: a difference.
        ObjectNode wrong = report(new int[][] {{0, 3, 1, 5}, {0, 2, 1, 3, 2, 2, 3, 5}}, 3);
        assertThat(differences(mock, wrong)).containsExactly("steps[1].calls[3].ptId: mock=\"#4\" linux=\"#2\"");
    }

    @Test
    void idsInMessagesAndWarningsNameTheObjectsTheCallsMade() throws Exception {
        JsonNode r = JSON.readTree("{\"steps\": [{\"message\": \"ioas 5 busy\", \"calls\": [{\"outIoasId\": 5},"
                + " {\"outHwptId\": 7}], \"warnings\": [\"hwpt 7 busy\", \"ioas 5\"]}], \"warnings\": [\"hwpt_id 7\"]}");
        JsonNode n = ReportDiff.normalise(r);
        // In a report's order: the message (an IOAS 5 made before) comes before the step's calls, which make new ones.
        assertThat(n.at("/steps/0/message").asText()).isEqualTo("ioas #1 busy");
        assertThat(n.at("/steps/0/calls/0/outIoasId").asText()).isEqualTo("#2");
        assertThat(n.at("/steps/0/warnings/0").asText()).isEqualTo("hwpt #3 busy");
        assertThat(n.at("/steps/0/warnings/1").asText()).isEqualTo("ioas #2");
        assertThat(n.at("/warnings/0").asText()).isEqualTo("hwpt_id #3");
    }
}
