package io.github.iommufd4j.simulator.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.ContainerReport;
import io.github.iommufd4j.simulator.report.DeviceReport;
import io.github.iommufd4j.simulator.report.DirtyReport;
import io.github.iommufd4j.simulator.report.HwptReport;
import io.github.iommufd4j.simulator.report.LostRun;
import io.github.iommufd4j.simulator.report.MigrationReport;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The JSON form of a {@link SimulationReport}, exactly as {@code scenario-format.md} shapes it: keys in the
 * order written there, nulls written as {@code null}, {@code flags} only on {@code HWPT_ALLOC} calls,
 * pretty-printed with two-space indentation and a final newline.
 */
public final class ReportJson {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ReportJson() {
    }

    /** The report as one pretty-printed JSON document, ending with a newline. */
    public static String write(SimulationReport r) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.setPrettyPrinter(prettyPrinter());
            g.writeStartObject();
            g.writeNumberField("formatVersion", r.formatVersion());
            g.writeStringField("scenario", r.scenario());
            g.writeStringField("profile", r.profile());
            g.writeStringField("backend", r.backend());
            g.writeArrayFieldStart("steps");
            for (StepReport s : r.steps()) {
                step(g, s);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("containers");
            for (ContainerReport c : r.containers()) {
                container(g, c);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("devices");
            for (DeviceReport d : r.devices()) {
                device(g, d);
            }
            g.writeEndArray();
            strings(g, "warnings", r.warnings());
            dirty(g, r.dirty());
            strings(g, "leakedObjects", r.leakedObjects());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out + "\n";
    }

    private static DefaultPrettyPrinter prettyPrinter() {
        Separators separators = Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(separators);
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        pp.indentObjectsWith(indenter);
        pp.indentArraysWith(indenter);
        return pp;
    }

    private static void step(JsonGenerator g, StepReport s) throws IOException {
        g.writeStartObject();
        g.writeNumberField("index", s.index());
        g.writeStringField("op", s.op());
        g.writeStringField("target", s.target());
        g.writeBooleanField("ok", s.ok());
        g.writeStringField("errno", s.errno());
        g.writeStringField("message", s.message());
        g.writeArrayFieldStart("calls");
        for (CallReport c : s.calls()) {
            g.writeStartObject();
            g.writeStringField("op", c.op());
            if (c.flags() != null) {
                strings(g, "flags", c.flags());
            }
            g.writeStringField("result", c.result());
            for (Map.Entry<String, Object> a : c.args().entrySet()) { // extra keys, after the format's own
                g.writeObjectField(a.getKey(), a.getValue());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        strings(g, "warnings", s.warnings());
        g.writeEndObject();
    }

    private static void container(JsonGenerator g, ContainerReport c) throws IOException {
        g.writeStartObject();
        g.writeNumberField("ioasId", c.ioasId());
        g.writeBooleanField("dirtyPagesSupported", c.dirtyPagesSupported());
        g.writeBooleanField("dirtyTrackingStarted", c.dirtyTrackingStarted());
        g.writeArrayFieldStart("hwpts");
        for (HwptReport h : c.hwpts()) {
            g.writeStartObject();
            g.writeNumberField("id", h.id());
            strings(g, "flags", h.flags());
            strings(g, "devices", h.devices());
            g.writeEndObject();
        }
        g.writeEndArray();
        strings(g, "devices", c.devices());
        g.writeEndObject();
    }

    private static void device(JsonGenerator g, DeviceReport d) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", d.name());
        g.writeBooleanField("attached", d.attached());
        nullableInt(g, "ioasId", d.ioasId());
        nullableInt(g, "hwptId", d.hwptId());
        g.writeBooleanField("iommuDirtyTracking", d.iommuDirtyTracking());
        g.writeFieldName("migration");
        MigrationReport m = d.migration();
        if (m == null) {
            g.writeNull();
        } else {
            g.writeStartObject();
            g.writeBooleanField("allowed", m.allowed());
            g.writeBooleanField("fatal", m.fatal());
            g.writeStringField("message", m.message());
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void dirty(JsonGenerator g, DirtyReport d) throws IOException {
        g.writeObjectFieldStart("dirty");
        g.writeNumberField("written", d.written());
        g.writeNumberField("reported", d.reported());
        g.writeArrayFieldStart("lost");
        for (LostRun run : d.lost()) {
            g.writeStartObject();
            g.writeStringField("device", run.device());
            g.writeStringField("iova", run.iova());
            g.writeNumberField("pages", run.pages());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void nullableInt(JsonGenerator g, String field, Integer value) throws IOException {
        if (value == null) {
            g.writeNullField(field);
        } else {
            g.writeNumberField(field, value.intValue());
        }
    }

    private static void strings(JsonGenerator g, String field, List<String> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    /**
     * Reads a report written by {@link #write} (or by hand in the same shape) back into records.
     *
     * @throws IllegalArgumentException naming the field that is missing or of the wrong kind
     */
    public static SimulationReport read(String json) {
        JsonNode n;
        try {
            n = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a JSON report: " + e.getMessage(), e);
        }
        return new SimulationReport(need(n, "formatVersion").asInt(), text(n, "scenario"), text(n, "profile"),
                text(n, "backend"), each(n, "steps", ReportJson::readStep),
                each(n, "containers", c -> new ContainerReport(need(c, "ioasId").asInt(),
                        need(c, "dirtyPagesSupported").asBoolean(), need(c, "dirtyTrackingStarted").asBoolean(),
                        each(c, "hwpts", h -> new HwptReport(need(h, "id").asInt(), texts(h, "flags"), texts(h, "devices"))),
                        texts(c, "devices"))),
                each(n, "devices", ReportJson::readDevice), texts(n, "warnings"), readDirty(need(n, "dirty")),
                texts(n, "leakedObjects"));
    }

    private static StepReport readStep(JsonNode s) {
        return new StepReport(need(s, "index").asInt(), text(s, "op"), text(s, "target"), need(s, "ok").asBoolean(),
                text(s, "errno"), text(s, "message"),
                each(s, "calls", c -> new CallReport(text(c, "op"), c.has("flags") ? texts(c, "flags") : null,
                        text(c, "result"), callArgs(c))),
                texts(s, "warnings"));
    }

    /** The extra keys of a call: its arguments and outputs. */
    private static Map<String, Object> callArgs(JsonNode c) {
        Map<String, Object> args = new LinkedHashMap<>();
        c.fields().forEachRemaining(e -> {
            String k = e.getKey();
            JsonNode v = e.getValue();
            if (k.equals("op") || k.equals("flags") || k.equals("result")) {
                return;
            }
            args.put(k, v.isBoolean() ? v.asBoolean() : v.isIntegralNumber() ? (Object) v.asLong() : v.asText());
        });
        return args;
    }

    private static DeviceReport readDevice(JsonNode d) {
        JsonNode m = need(d, "migration");
        return new DeviceReport(text(d, "name"), need(d, "attached").asBoolean(), integer(d, "ioasId"),
                integer(d, "hwptId"), need(d, "iommuDirtyTracking").asBoolean(),
                m.isNull() ? null : new MigrationReport(need(m, "allowed").asBoolean(), need(m, "fatal").asBoolean(),
                        text(m, "message")));
    }

    private static DirtyReport readDirty(JsonNode d) {
        return new DirtyReport(need(d, "written").asLong(), need(d, "reported").asLong(),
                each(d, "lost", l -> new LostRun(text(l, "device"), text(l, "iova"), need(l, "pages").asLong())));
    }

    private static JsonNode need(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null) {
            throw new IllegalArgumentException("report field '" + field + "' is missing");
        }
        return v;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = need(n, field);
        return v.isNull() ? null : v.asText();
    }

    private static Integer integer(JsonNode n, String field) {
        JsonNode v = need(n, field);
        return v.isNull() ? null : v.asInt();
    }

    private static List<String> texts(JsonNode n, String field) {
        return each(n, field, JsonNode::asText);
    }

    private static <T> List<T> each(JsonNode n, String field, Function<JsonNode, T> element) {
        JsonNode v = need(n, field);
        if (!v.isArray()) {
            throw new IllegalArgumentException("report field '" + field + "' is not a list");
        }
        List<T> out = new ArrayList<>();
        for (Iterator<JsonNode> it = v.elements(); it.hasNext(); ) {
            out.add(element.apply(it.next()));
        }
        return out;
    }
}
