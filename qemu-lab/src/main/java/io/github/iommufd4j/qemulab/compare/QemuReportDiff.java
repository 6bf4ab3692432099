package io.github.iommufd4j.qemulab.compare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.iommufd4j.simulator.compare.ReportDiff;
import io.github.iommufd4j.simulator.io.ReportJson;
import io.github.iommufd4j.simulator.report.SimulationReport;
import java.util.List;
import java.util.Set;

/**
 * Compares core's report with QEMU's, as the kernel lab's differential compares two backends
 * ({@code ExamplesDifferentialKernelIT}): both reports as JSON trees, with what only one side can know taken out,
 * then the simulator's {@link ReportDiff}: ids renamed {@code #1, #2, ...} in the order objects are made, one line
 * per path where they differ.
 *
 * <p>Taken out: {@code profile} and {@code backend} (they name the sides); a container's {@code dirtyPagesSupported}
 * and {@code dirtyTrackingStarted} and a device's {@code iommuDirtyTracking} (QEMU's fields, not observable from
 * the kernel or QMP; their effects, which HWPTs start and which devices are blocked, are compared through the calls
 * and the blockers); the lab's facts on calls ({@code readOnly} of a map, {@code rangeList} of a DMA logging start,
 * {@code outDirtyPages} and {@code outRuns} of a query), which core's calls do not carry. Messages compare equal when
 * core's is QEMU's or the head of its chain of causes ({@link QemuTexts#sameMessage}).
 */
public final class QemuReportDiff {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LAB_CALL_FACTS = Set.of("readOnly", "rangeList", "outDirtyPages", "outRuns");

    private QemuReportDiff() {
    }

    /** One line per path where the two reports differ ({@code path: core=... qemu=...}); empty when they agree. */
    public static List<String> differences(SimulationReport core, SimulationReport qemu) {
        return ReportDiff.differences(normalise(core), normalise(qemu), "core", "qemu",
                (path, values) -> path.endsWith(".message") && values[0] != null && values[1] != null
                        && QemuTexts.sameMessage(text(values[0]), text(values[1])));
    }

    private static String text(JsonNode node) {
        return node.isNull() ? null : node.asText();
    }

    /** The report as compared: taken-out keys removed, ids renamed as {@link ReportDiff#normalise} does. */
    public static JsonNode normalise(SimulationReport report) {
        ObjectNode tree;
        try {
            tree = (ObjectNode) JSON.readTree(ReportJson.write(report));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a report did not read back as JSON: " + e.getMessage(), e);
        }
        tree.remove("backend");
        tree.remove("profile");
        tree.path("containers").forEach(c -> {
            ((ObjectNode) c).remove("dirtyPagesSupported");
            ((ObjectNode) c).remove("dirtyTrackingStarted");
        });
        tree.path("devices").forEach(d -> ((ObjectNode) d).remove("iommuDirtyTracking"));
        tree.path("steps").forEach(s -> s.path("calls").forEach(c -> ((ObjectNode) c).remove(LAB_CALL_FACTS)));
        return ReportDiff.normalise(tree);
    }
}
