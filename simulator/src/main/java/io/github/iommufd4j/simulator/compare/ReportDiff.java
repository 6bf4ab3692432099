package io.github.iommufd4j.simulator.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compares two reports of one scenario made on different sides (two backends, core and the real QEMU), as the
 * labs do: ids renamed {@code #1, #2, ...} in the order objects are made, then one line per path where the JSON
 * trees differ. Both kernels give the lowest free id (K-ID-1), but one side may hold objects the report never shows
 * (the selftest source's parking IOAS, the real kernel's mock devices), so raw ids differ while the topology is the
 * same.
 */
public final class ReportDiff {
    private static final Pattern ID_IN_TEXT =
            Pattern.compile("(?i)\\b(hwpt_id|ioas_id|pt_id|dev_id|id|hwpt|ioas|device)([ =:]+)(\\d+)\\b");
    private static final Pattern LEAKED = Pattern.compile("([A-Z]+) (\\d+)");

    private ReportDiff() {
    }

    /**
     * A copy of {@code report} (a report's JSON tree) with every object id renamed: a call's output id
     * ({@code outIoasId}, {@code outHwptId}, {@code outDevId}) names a new object whatever its raw id was before
     * (ids are reused after a destroy); every other id field ({@code id}, {@code ...Id}), the ids in
     * {@code leakedObjects} and the ids in messages and warnings name the object made last with that raw id.
     *
     * @param report a report as JSON ({@code ReportJson.write} read back)
     * @return the renamed copy; {@code report} is not changed
     */
    public static JsonNode normalise(JsonNode report) {
        return rename(report.deepCopy(), null, new Names());
    }

    /**
     * One line per path where {@code a} and {@code b} differ ({@code path: <aName>=... <bName>=...}), paths in
     * {@code a}'s key order, then {@code b}'s extra keys; empty when they agree.
     *
     * @param a          one side's report, normalised
     * @param b          the other side's, normalised
     * @param aName      the name of {@code a}'s side in the lines
     * @param bName      the name of {@code b}'s side
     * @param sameAnyway paths whose values differ but count as equal (a path and both values; absent is null)
     * @return the differing paths, one line each
     */
    public static List<String> differences(JsonNode a, JsonNode b, String aName, String bName,
                                           BiPredicate<String, JsonNode[]> sameAnyway) {
        List<String> out = new ArrayList<>();
        diff(a, b, "", aName, bName, sameAnyway, out);
        return out;
    }

    /**
     * {@link #differences(JsonNode, JsonNode, String, String, BiPredicate)} where only equal values agree.
     *
     * @param a     one side's report, normalised
     * @param b     the other side's, normalised
     * @param aName the name of {@code a}'s side in the lines
     * @param bName the name of {@code b}'s side
     * @return the differing paths, one line each
     */
    public static List<String> differences(JsonNode a, JsonNode b, String aName, String bName) {
        return differences(a, b, aName, bName, (path, values) -> false);
    }

    private static JsonNode rename(JsonNode node, String field, Names ids) {
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
                a.set(i, rename(a.get(i), "leakedObjects".equals(field) ? "leakedObject"
                        : "warnings".equals(field) ? field : null, ids));
            }
            return a;
        }
        if (node.isIntegralNumber() && field != null && field.startsWith("out") && field.endsWith("Id")) {
            return TextNode.valueOf(newId(ids, node.asText()));
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

    /** The name of the object {@code raw} refers to now (the last one made with that id), or a new name. */
    private static String id(Names ids, String raw) {
        String known = ids.current.get(raw);
        return known != null ? known : newId(ids, raw);
    }

    /** A new name for an object made as {@code raw}; later references to {@code raw} mean it. */
    private static String newId(Names ids, String raw) {
        String name = "#" + ++ids.made;
        ids.current.put(raw, name);
        return name;
    }

    /** The names given so far: each raw id's current name, and how many names were made. */
    private static final class Names {
        private final Map<String, String> current = new HashMap<>();
        private int made;
    }

    private static void diff(JsonNode a, JsonNode b, String path, String aName, String bName,
                             BiPredicate<String, JsonNode[]> sameAnyway, List<String> out) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            List<String> names = new ArrayList<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(n -> {
                if (!names.contains(n)) {
                    names.add(n);
                }
            });
            for (String n : names) {
                diff(a.get(n), b.get(n), path.isEmpty() ? n : path + "." + n, aName, bName, sameAnyway, out);
            }
        } else if (a != null && b != null && a.isArray() && b.isArray()) {
            for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
                diff(a.get(i), b.get(i), path + "[" + i + "]", aName, bName, sameAnyway, out);
            }
        } else if ((a == null || !a.equals(b)) && !sameAnyway.test(path, new JsonNode[] {a, b})) {
            out.add(path + ": " + aName + "=" + (a == null ? "(absent)" : a) + " " + bName + "="
                    + (b == null ? "(absent)" : b));
        }
    }
}
