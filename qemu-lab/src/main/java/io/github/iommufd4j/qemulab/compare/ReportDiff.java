package io.github.iommufd4j.qemulab.compare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.github.iommufd4j.simulator.io.ReportJson;
import io.github.iommufd4j.simulator.report.SimulationReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compares core's report with QEMU's, as the kernel lab's differential compares two backends
 * ({@code ExamplesDifferentialKernelIT}): both reports as JSON trees, with what only one side can know taken out and
 * ids renamed {@code #1, #2, ...} by first appearance, then one line per path where they differ.
 *
 * <p>Taken out: {@code profile} and {@code backend} (they name the sides); a container's {@code dirtyPagesSupported}
 * and {@code dirtyTrackingStarted} and a device's {@code iommuDirtyTracking} (QEMU's fields, not observable from
 * the kernel or QMP; their effects, which HWPTs start and which devices are blocked, are compared through the calls
 * and the blockers); the lab's facts on calls ({@code readOnly} of a map, {@code rangeList} of a DMA logging start,
 * {@code outDirtyPages} and {@code outRuns} of a query), which core's calls do not carry. Messages compare equal when
 * core's is QEMU's or the head of its chain of causes ({@link QemuTexts#sameMessage}).
 */
public final class ReportDiff {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LAB_CALL_FACTS = Set.of("readOnly", "rangeList", "outDirtyPages", "outRuns");
    private static final Pattern ID_IN_TEXT =
            Pattern.compile("(?i)\\b(hwpt_id|ioas_id|pt_id|dev_id|id|hwpt|ioas|device)([ =:]+)(\\d+)\\b");
    private static final Pattern LEAKED = Pattern.compile("([A-Z]+) (\\d+)");

    private ReportDiff() {
    }

    /** One line per path where the two reports differ ({@code path: core=... qemu=...}); empty when they agree. */
    public static List<String> differences(SimulationReport core, SimulationReport qemu) {
        List<String> out = new ArrayList<>();
        diff(normalise(core), normalise(qemu), "", out);
        return out;
    }

    /** The report as compared: taken-out keys removed, ids renamed by first appearance. */
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
        return rename(tree, null, new HashMap<>());
    }

    private static JsonNode rename(JsonNode node, String field, Map<String, String> ids) {
        if (node.isObject()) {
            ObjectNode o = (ObjectNode) node;
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            for (String n : names) {
                o.set(n, rename(o.get(n), n, ids));
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
        if (node.isIntegralNumber() && field != null && (field.equals("id") || field.endsWith("Id"))) {
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

    private static String id(Map<String, String> ids, String raw) {
        return ids.computeIfAbsent(raw, k -> "#" + (ids.size() + 1));
    }

    private static void diff(JsonNode core, JsonNode qemu, String path, List<String> out) {
        if (core != null && qemu != null && core.isObject() && qemu.isObject()) {
            List<String> names = new ArrayList<>();
            core.fieldNames().forEachRemaining(names::add);
            qemu.fieldNames().forEachRemaining(n -> {
                if (!names.contains(n)) {
                    names.add(n);
                }
            });
            for (String n : names) {
                diff(core.get(n), qemu.get(n), path.isEmpty() ? n : path + "." + n, out);
            }
        } else if (core != null && qemu != null && core.isArray() && qemu.isArray()) {
            for (int i = 0; i < Math.max(core.size(), qemu.size()); i++) {
                diff(core.get(i), qemu.get(i), path + "[" + i + "]", out);
            }
        } else if (path.endsWith(".message") && core != null && qemu != null
                && QemuTexts.sameMessage(core.isNull() ? null : core.asText(), qemu.isNull() ? null : qemu.asText())) {
            return;
        } else if (core == null || !core.equals(qemu)) {
            out.add(path + ": core=" + (core == null ? "(absent)" : core) + " qemu=" + (qemu == null ? "(absent)" : qemu));
        }
    }
}
