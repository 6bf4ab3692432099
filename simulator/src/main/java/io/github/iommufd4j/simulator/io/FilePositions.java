package io.github.iommufd4j.simulator.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What databind does not keep: where each key and value of a scenario file is, by key path
 * ({@code devices[2].iommu}), found in one streaming pass before binding. The pass also reports what binding
 * cannot see or would stop at: a repeated key (databind keeps the last), a second document, broken syntax.
 */
final class FilePositions {
    private static final Pattern SNIPPET = Pattern.compile(" in '[^']*', line \\d+, column \\d+:\\R.*?\\R\\s*\\^",
            Pattern.DOTALL);
    private final Map<String, JsonLocation> keys = new HashMap<>();
    private final Map<String, JsonLocation> values = new HashMap<>();

    /** Reads every token of {@code content}, adding the problems it finds to {@code problems}. */
    static FilePositions scan(JsonFactory syntax, String content, List<Problem> problems) throws IOException {
        FilePositions f = new FilePositions();
        try (JsonParser p = syntax.createParser(content)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                String path = path(p);
                JsonLocation at = p.currentTokenLocation();
                if (t == JsonToken.FIELD_NAME && f.keys.putIfAbsent(path, at) != null) {
                    problems.add(new Problem(at, path, "duplicate key (first at " + Problem.lineColumn(f.valueAt(path))
                            + "); expected each key once"));
                } else if (!t.isStructEnd() && t != JsonToken.FIELD_NAME && f.values.putIfAbsent(path, at) != null
                        && path.isEmpty()) {
                    problems.add(new Problem(at, path, "found " + Problem.found(p) + " after the scenario; expected"
                            + " one scenario per file"));
                    break;
                }
            }
        } catch (JsonProcessingException e) {
            String message = e.getOriginalMessage() == null ? "unreadable content" : e.getOriginalMessage();
            JsonStreamContext c = e.getProcessor() instanceof JsonParser p ? p.getParsingContext() : null;
            String path = c == null ? "" : path(c.inObject() && c.getCurrentName() != null ? c : c.getParent());
            problems.add(new Problem(e.getLocation(), path, "malformed " + syntax.getFormatName() + ": "
                    + SNIPPET.matcher(message).replaceAll("").strip().replaceAll("\\s*\\R\\s*", " ")));
        }
        return f;
    }

    /** Whether the file writes the key or value at {@code path}. */
    boolean written(String path) {
        return values.containsKey(path) || keys.containsKey(path);
    }

    /** The keys the file writes in the map at {@code path}. */
    Stream<String> keysIn(String path) {
        String prefix = path.isEmpty() ? "" : path + ".";
        return keys.keySet().stream().filter(k -> k.startsWith(prefix)).map(k -> k.substring(prefix.length()))
                .filter(k -> k.indexOf('.') < 0 && k.indexOf('[') < 0);
    }

    /** Where the value at {@code path} starts, else where the nearest enclosing value written in the file does. */
    JsonLocation valueAt(String path) {
        for (String p = path; ; p = p.substring(0, Math.max(0, Math.max(p.lastIndexOf('.'), p.lastIndexOf('['))))) {
            JsonLocation at = values.get(p);
            if (at != null || p.isEmpty()) {
                return at;
            }
        }
    }

    /** Where the key at the end of {@code path} is written, else {@link #valueAt}. */
    JsonLocation keyAt(String path) {
        return keys.getOrDefault(path, valueAt(path));
    }

    /** The key path of the parser's current token ({@code devices[0].name}); empty for the document. */
    static String path(JsonParser p) {
        JsonStreamContext c = p.getParsingContext();
        return path(p.currentToken() != null && p.currentToken().isStructStart() ? c.getParent() : c);
    }

    /** The key path of the value {@code c} is at: its ancestors' names and indexes, then its own. */
    static String path(JsonStreamContext c) {
        StringBuilder b = new StringBuilder();
        for (; c != null && !c.inRoot(); c = c.getParent()) {
            b.insert(0, c.inArray() ? "[" + c.getCurrentIndex() + "]" : "." + c.getCurrentName());
        }
        return b.length() > 0 && b.charAt(0) == '.' ? b.substring(1) : b.toString();
    }
}
