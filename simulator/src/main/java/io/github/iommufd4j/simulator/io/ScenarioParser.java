package io.github.iommufd4j.simulator.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.ScenarioProblem;
import io.github.iommufd4j.simulator.scenario.ScenarioValidator;
import io.github.iommufd4j.simulator.scenario.Step;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads scenario files ({@code scenario-format.md}) with Jackson's streaming parser, so every error names the
 * file, the line and column, and the key path: {@code bad.yaml:7:12: devices[2].iommu: unknown IOMMU 'smmu9'}.
 * YAML for {@code .yaml}/{@code .yml}, JSON for {@code .json}. Numbers are decimal or {@code 0x} hex, written
 * as numbers or as strings.
 */
public final class ScenarioParser {

    /** The syntax of a scenario file. */
    public enum Syntax {
        YAML, JSON;

        /** The syntax the file name's extension stands for. */
        static Syntax ofFileName(String fileName) {
            String lower = fileName.toLowerCase(Locale.ROOT);
            if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
                return YAML;
            }
            if (lower.endsWith(".json")) {
                return JSON;
            }
            return null;
        }
    }

    private static final List<String> ROOT_KEYS =
            List.of("version", "name", "profile", "backend", "pageSize", "memory", "iommus", "devices", "steps");
    private static final List<String> RANGE_KEYS = List.of("iova", "length");
    private static final List<String> IOMMU_KEYS = List.of("id", "family", "dirtyTracking", "nestParent");
    private static final List<String> DEVICE_KEYS = List.of("name", "iommu", "mdev", "vfDirtyTracking", "migration",
            "p2p", "enableMigration", "deviceDirtyPageTracking", "viommu");
    private static final List<String> STEP_OPS = List.of("attach", "detach", "startDirtyTracking",
            "stopDirtyTracking", "dma", "sync", "map", "unmap", "fault");
    private static final List<String> DMA_KEYS = List.of("device", "iova", "length");
    private static final List<String> FAULT_KEYS = List.of("op", "errno", "nth");
    private static final Pattern NUMBER = Pattern.compile("([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0|[1-9][0-9]*))");

    private static final Pattern MARK = Pattern.compile(" in '[^']*', line \\d+, column \\d+:\\R.*?\\R\\s*\\^", Pattern.DOTALL);

    private final YAMLFactory yaml = new YAMLFactory();
    private final JsonFactory json = new JsonFactory();

    /** Reads and checks the scenario in {@code file}; the file is named in messages as given here. */
    public ParsedScenario parse(Path file) {
        String name = file.toString();
        if (Syntax.ofFileName(name) == null) {
            throw new ScenarioException(name + ": unknown file type; expected a .yaml, .yml or .json file");
        }
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ScenarioException(name + ": cannot read the file (" + describe(e) + ")");
        }
        return parse(name, content);
    }

    /** Reads and checks a scenario from {@code content}, its syntax chosen by the extension of {@code fileName}. */
    public ParsedScenario parse(String fileName, String content) {
        Syntax syntax = Syntax.ofFileName(fileName);
        if (syntax == null) {
            throw new ScenarioException(fileName + ": unknown file type; expected a .yaml, .yml or .json file");
        }
        String base = Path.of(fileName).getFileName().toString();
        String defaultName = base.substring(0, base.lastIndexOf('.'));
        try (JsonParser p = (syntax == Syntax.YAML ? yaml : json).createParser(content)) {
            Reader reader = new Reader(fileName, p);
            Scenario scenario = reader.root(defaultName);
            ParsedScenario parsed = new ParsedScenario(fileName, scenario, reader.positions);
            List<ScenarioProblem> problems = ScenarioValidator.validate(scenario);
            if (!problems.isEmpty()) {
                throw new ScenarioException(problems.stream()
                        .map(pr -> parsed.format(pr.path(), pr.message())).collect(Collectors.toList()));
            }
            return parsed;
        } catch (IOException e) {
            throw new ScenarioException(fileName + ": cannot read the file (" + describe(e) + ")");
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    @FunctionalInterface
    private interface FieldHandler {
        void value(String key, String path);
    }

    /** One pass over one file's tokens. */
    private static final class Reader {
        private final String file;
        private final JsonParser p;
        private final Map<String, String> positions = new HashMap<>();

        Reader(String file, JsonParser p) {
            this.file = file;
            this.p = p;
        }

        Scenario root(String defaultName) {
            JsonToken t = next("(document)");
            if (t == null) {
                throw fail(null, "(document)", "the file is empty; expected a map starting with version: 1");
            }
            if (t != JsonToken.START_OBJECT) {
                throw fail(here(), "(document)", "found " + found() + "; expected a map starting with version: 1");
            }
            String start = here();
            Map<String, Object> v = new LinkedHashMap<>();
            fields("", ROOT_KEYS, (key, path) -> {
                switch (key) {
                    case "version" -> v.put(key, version(path));
                    case "name", "profile", "backend" -> v.put(key, string(path));
                    case "pageSize" -> v.put(key, pageSize(path));
                    case "memory" -> v.put(key, list(path, (i, at) -> range(at, "memory range")));
                    case "iommus" -> v.put(key, list(path, (i, at) -> iommu(at)));
                    case "devices" -> v.put(key, list(path, (i, at) -> device(at)));
                    case "steps" -> v.put(key, list(path, (i, at) -> step(at)));
                    default -> throw new IllegalStateException(key);
                }
            });
            if (!v.containsKey("version")) {
                throw fail(start, "version", "missing required key; expected version: 1");
            }
            JsonToken after = next("(document)");
            if (after != null) {
                throw fail(here(), "(document)", "found " + found() + " after the scenario; expected one scenario per file");
            }
            return build(start, "(document)", () -> new Scenario((Integer) v.get("version"),
                    (String) v.getOrDefault("name", defaultName), (String) v.get("profile"), (String) v.get("backend"),
                    (Long) v.getOrDefault("pageSize", Scenario.DEFAULT_PAGE_SIZE), cast(v.getOrDefault("memory", List.of())),
                    cast(v.getOrDefault("iommus", List.of())), cast(v.getOrDefault("devices", List.of())),
                    cast(v.getOrDefault("steps", List.of()))));
        }

        private int version(String path) {
            long version = number(path);
            if (version != Scenario.FORMAT_VERSION) {
                throw fail(here(), path, "version " + version + " is not supported; expected " + Scenario.FORMAT_VERSION);
            }
            return (int) version;
        }

        private long pageSize(String path) {
            long size = number(path);
            if (size <= 0 || Long.bitCount(size) != 1) {
                throw fail(here(), path, size + " is not a page size; expected a positive power of two such as 4096");
            }
            return size;
        }

        private MemoryRange range(String path, String what) {
            long[] r = rangeFields(path, what);
            return build(positions.get(path), path, () -> new MemoryRange(r[0], r[1]));
        }

        /** {@code {iova, length}}, both required: iova not negative, length positive. */
        private long[] rangeFields(String path, String what) {
            expectMap(path, "a map {iova, length}");
            String start = here();
            long[] r = new long[2];
            Map<String, String> seen = fields(path, RANGE_KEYS, (key, at) -> r[key.equals("iova") ? 0 : 1] =
                    key.equals("iova") ? iova(at) : length(at));
            require(seen, start, path, "iova", "the first address of the " + what);
            require(seen, start, path, "length", "the size of the " + what + " in bytes");
            return r;
        }

        private IommuDef iommu(String path) {
            expectMap(path, "a map with at least id");
            String start = here();
            Object[] v = {null, IommuDef.DEFAULT_FAMILY, false, true};
            Map<String, String> seen = fields(path, IOMMU_KEYS, (key, at) -> {
                switch (key) {
                    case "id" -> v[0] = string(at);
                    case "family" -> v[1] = string(at);
                    case "dirtyTracking" -> v[2] = bool(at);
                    case "nestParent" -> v[3] = bool(at);
                    default -> throw new IllegalStateException(key);
                }
            });
            require(seen, start, path, "id", "a unique IOMMU id such as iommu0");
            return build(start, path, () -> new IommuDef((String) v[0], (String) v[1], (Boolean) v[2], (Boolean) v[3]));
        }

        private DeviceDef device(String path) {
            expectMap(path, "a map with at least name and iommu");
            String start = here();
            Object[] v = {null, null, false, false, true, true, OnOffAuto.AUTO, OnOffAuto.ON, false};
            Map<String, String> seen = fields(path, DEVICE_KEYS, (key, at) -> {
                int i = DEVICE_KEYS.indexOf(key);
                v[i] = switch (key) {
                    case "name", "iommu" -> string(at);
                    case "enableMigration", "deviceDirtyPageTracking" -> onOffAuto(at);
                    default -> bool(at);
                };
            });
            require(seen, start, path, "name", "a unique device name such as vf0");
            require(seen, start, path, "iommu", "the id of an IOMMU in iommus");
            return build(start, path, () -> new DeviceDef((String) v[0], (String) v[1], (Boolean) v[2], (Boolean) v[3],
                    (Boolean) v[4], (Boolean) v[5], (OnOffAuto) v[6], (OnOffAuto) v[7], (Boolean) v[8]));
        }

        private Step step(String path) {
            expectMap(path, "a map with one key, the step (- attach: vf0)");
            String start = here();
            JsonToken t = next(path);
            if (t != JsonToken.FIELD_NAME) {
                throw fail(start, path, "empty step; expected one key, one of " + String.join(", ", STEP_OPS));
            }
            String op = name(path);
            String opAt = here();
            if (!STEP_OPS.contains(op)) {
                throw fail(opAt, path, "unknown step '" + op + "'; expected one of " + String.join(", ", STEP_OPS));
            }
            String at = path + "." + op;
            next(at);
            positions.put(at, here());
            Step step = stepBody(op, at);
            t = next(path);
            if (t == JsonToken.FIELD_NAME) {
                throw fail(here(), path, "a second key '" + name(path) + "' in one step; expected exactly one key per"
                        + " step (write each step as its own list item)");
            }
            return step;
        }

        private Step stepBody(String op, String at) {
            String start = here();
            switch (op) {
                case "attach":
                    return build(start, at, () -> new Step.Attach(string(at)));
                case "detach":
                    return build(start, at, () -> new Step.Detach(string(at)));
                case "startDirtyTracking":
                    noArguments(at);
                    return new Step.StartDirtyTracking();
                case "stopDirtyTracking":
                    noArguments(at);
                    return new Step.StopDirtyTracking();
                case "dma":
                    return dma(at);
                case "sync":
                    return sync(at);
                case "map": {
                    long[] r = rangeFields(at, "guest memory to map");
                    return build(start, at, () -> new Step.MapMemory(r[0], r[1]));
                }
                case "unmap": {
                    long[] r = rangeFields(at, "guest memory to unmap");
                    return build(start, at, () -> new Step.UnmapMemory(r[0], r[1]));
                }
                case "fault":
                    return fault(at);
                default:
                    throw new IllegalStateException(op);
            }
        }

        private void noArguments(String path) {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_NULL) {
                return;
            }
            expectMap(path, "{} (no arguments)");
            fields(path, List.of(), (key, at) -> {
            });
        }

        private Step dma(String path) {
            expectMap(path, "a map {device, iova, length}");
            String start = here();
            Object[] v = new Object[3];
            Map<String, String> seen = fields(path, DMA_KEYS, (key, at) -> v[DMA_KEYS.indexOf(key)] =
                    key.equals("device") ? string(at) : key.equals("iova") ? (Object) iova(at) : (Object) length(at));
            require(seen, start, path, "device", "the name of the device that writes");
            require(seen, start, path, "iova", "the first guest address written");
            require(seen, start, path, "length", "the number of bytes written");
            return build(start, path, () -> new Step.Dma((String) v[0], (Long) v[1], (Long) v[2]));
        }

        private Step sync(String path) {
            String start = here();
            if (p.currentToken() == JsonToken.VALUE_NULL) {
                return Step.Sync.allMemory();
            }
            expectMap(path, "{} for all memory or {iova, length}");
            Long[] r = new Long[2];
            Map<String, String> seen = fields(path, RANGE_KEYS, (key, at) -> r[key.equals("iova") ? 0 : 1] =
                    key.equals("iova") ? iova(at) : length(at));
            if (seen.size() == 1) {
                String missing = seen.containsKey("iova") ? "length" : "iova";
                throw fail(start, path + "." + missing, "missing; expected both iova and length, or neither"
                        + " (sync: {} syncs all memory)");
            }
            return build(start, path, () -> new Step.Sync(r[0], r[1]));
        }

        private Step fault(String path) {
            expectMap(path, "a map {op, errno, nth}");
            String start = here();
            Object[] v = {null, null, 1};
            Map<String, String> seen = fields(path, FAULT_KEYS, (key, at) -> {
                switch (key) {
                    case "op" -> v[0] = backendOp(at);
                    case "errno" -> v[1] = errno(at);
                    case "nth" -> v[2] = nth(at);
                    default -> throw new IllegalStateException(key);
                }
            });
            require(seen, start, path, "op", "a backend operation such as HWPT_ALLOC");
            require(seen, start, path, "errno", "an errno name such as ENOMEM");
            return build(start, path, () -> new Step.Fault((BackendOp) v[0], (Errno) v[1], (Integer) v[2]));
        }

        private BackendOp backendOp(String path) {
            String text = string(path);
            for (BackendOp op : BackendOp.values()) {
                if (op.name().equals(text)) {
                    return op;
                }
            }
            throw fail(here(), path, "unknown backend operation '" + text + "'; expected one of "
                    + Arrays.stream(BackendOp.values()).map(Enum::name).collect(Collectors.joining(", ")));
        }

        private Errno errno(String path) {
            String text = string(path);
            return Errno.ofName(text).orElseThrow(() -> fail(here(), path, "unknown errno '" + text
                    + "'; expected a Linux errno name, one of " + Arrays.stream(Errno.values())
                    .filter(e -> e != Errno.UNKNOWN).map(Enum::name).collect(Collectors.joining(", "))));
        }

        private int nth(String path) {
            long n = number(path);
            if (n < 1 || n > Integer.MAX_VALUE) {
                throw fail(here(), path, n + " is out of range; expected 1 for the next call, 2 for the one after, ...");
            }
            return (int) n;
        }

        private long iova(String path) {
            long iova = number(path);
            if (iova < 0) {
                throw fail(here(), path, "negative address " + text() + "; expected an address of 0 or more");
            }
            return iova;
        }

        private long length(String path) {
            long length = number(path);
            if (length <= 0) {
                throw fail(here(), path, "length " + text() + " is not positive; expected a positive number of bytes");
            }
            return length;
        }

        // ---- scalars --------------------------------------------------------------------------------------

        private String string(String path) {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                throw fail(here(), path, "found " + found() + "; expected a string");
            }
            String s = text();
            if (s.isBlank()) {
                throw fail(here(), path, "empty string; expected a non-empty string");
            }
            return s;
        }

        private boolean bool(String path) {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
                return t == JsonToken.VALUE_TRUE;
            }
            throw fail(here(), path, "found " + found() + "; expected true or false");
        }

        private OnOffAuto onOffAuto(String path) {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_STRING || t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
                // YAML reads a plain on/off as a boolean; its text is still the word written
                var v = OnOffAuto.ofSpelling(text());
                if (v.isPresent()) {
                    return v.get();
                }
            }
            throw fail(here(), path, "found " + found() + "; expected on, off or auto");
        }

        private long number(String path) {
            JsonToken t = p.currentToken();
            if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_STRING) {
                throw fail(here(), path, "found " + found() + "; expected an integer (decimal or 0x hex)");
            }
            String s = text().trim();
            Matcher m = NUMBER.matcher(s);
            if (!m.matches()) {
                throw fail(here(), path, "'" + s + "' is not a number; expected an integer (decimal or 0x hex)");
            }
            boolean negative = m.group(1).equals("-");
            try {
                long magnitude = m.group(2) != null ? Long.parseLong(m.group(2), 16) : Long.parseLong(m.group(3));
                return negative ? -magnitude : magnitude;
            } catch (NumberFormatException e) {
                throw fail(here(), path, "'" + s + "' is too large; expected at most 0x7fffffffffffffff");
            }
        }

        // ---- structure ------------------------------------------------------------------------------------

        private <T> List<T> list(String path, ElementHandlerOf<T> element) {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw fail(here(), path, "found " + found() + "; expected a list");
            }
            List<T> out = new ArrayList<>();
            for (JsonToken t = next(path); t != JsonToken.END_ARRAY; t = next(path)) {
                String at = path + "[" + out.size() + "]";
                positions.put(at, here());
                out.add(element.element(out.size(), at));
            }
            return out;
        }

        @FunctionalInterface
        private interface ElementHandlerOf<T> {
            T element(int index, String path);
        }

        private void expectMap(String path, String expected) {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw fail(here(), path, "found " + found() + "; expected " + expected);
            }
        }

        /**
         * Reads the fields of the map whose START_OBJECT is the current token, rejecting unknown and repeated
         * keys; returns each key seen with the position of its value.
         */
        private Map<String, String> fields(String path, List<String> allowed, FieldHandler handler) {
            Map<String, String> seen = new LinkedHashMap<>();
            for (JsonToken t = next(path); t != JsonToken.END_OBJECT; t = next(path)) {
                String key = name(path);
                String at = path.isEmpty() ? key : path + "." + key;
                if (!allowed.contains(key)) {
                    throw fail(here(), at, "unknown key; expected " + (allowed.isEmpty() ? "no keys ({})"
                            : "one of " + String.join(", ", allowed)));
                }
                if (seen.containsKey(key)) {
                    throw fail(here(), at, "duplicate key (first at " + seen.get(key) + "); expected each key once");
                }
                next(at);
                seen.put(key, here());
                positions.put(at, here());
                handler.value(key, at);
            }
            return seen;
        }

        private void require(Map<String, String> seen, String start, String path, String key, String expected) {
            if (!seen.containsKey(key)) {
                throw fail(start, path + "." + key, "missing required key; expected " + expected);
            }
        }

        private <T> T build(String position, String path, java.util.function.Supplier<T> constructor) {
            try {
                return constructor.get();
            } catch (IllegalArgumentException | NullPointerException e) {
                throw fail(position, path, e.getMessage());
            }
        }

        private JsonToken next(String path) {
            try {
                return p.nextToken();
            } catch (JsonProcessingException e) {
                JsonLocation loc = e.getLocation();
                String position = loc == null ? "1:1" : loc.getLineNr() + ":" + loc.getColumnNr();
                throw fail(position, path.isEmpty() ? "(document)" : path, "malformed " + syntaxName() + ": "
                        + oneLine(e.getOriginalMessage()));
            } catch (IOException e) {
                throw new ScenarioException(file + ": cannot read the file (" + describe(e) + ")");
            }
        }

        private String name(String path) {
            try {
                return p.currentName();
            } catch (IOException e) {
                throw new ScenarioException(file + ": cannot read the file (" + describe(e) + ")");
            }
        }

        private String text() {
            try {
                return p.getText();
            } catch (IOException e) {
                throw new ScenarioException(file + ": cannot read the file (" + describe(e) + ")");
            }
        }

        private String syntaxName() {
            return p instanceof com.fasterxml.jackson.dataformat.yaml.YAMLParser ? "YAML" : "JSON";
        }

        private String here() {
            JsonLocation loc = p.currentTokenLocation();
            return loc.getLineNr() + ":" + loc.getColumnNr();
        }

        private String found() {
            JsonToken t = p.currentToken();
            if (t == null) {
                return "nothing";
            }
            return switch (t) {
                case START_OBJECT -> "a map";
                case START_ARRAY -> "a list";
                case VALUE_STRING -> "the string '" + text() + "'";
                case VALUE_NUMBER_INT -> "the number " + text();
                case VALUE_NUMBER_FLOAT -> "the fraction " + text();
                case VALUE_TRUE, VALUE_FALSE -> "the boolean " + text();
                case VALUE_NULL -> "no value (null)";
                default -> t.asString() == null ? t.name() : t.asString();
            };
        }

        private ScenarioException fail(String position, String path, String message) {
            return new ScenarioException(file + ":" + (position == null ? "1:1" : position) + ": " + path + ": " + message);
        }

        @SuppressWarnings("unchecked")
        private static <T> List<T> cast(Object list) {
            return (List<T>) list;
        }

        private static String oneLine(String s) {
            if (s == null) {
                return "unreadable content";
            }
            // SnakeYAML repeats each position with a snippet and a caret; the position is already in front
            String line = MARK.matcher(s).replaceAll("").strip().replaceAll("\\s*\\R\\s*", " ");
            return line.length() > 200 ? line.substring(0, 200) + "..." : line;
        }
    }
}
