package io.github.iommufd4j.simulator.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Comparator;

/**
 * One problem of a scenario file: where, the key path, and what is wrong; expected what.
 *
 * @param at      the position in the file; null for the file's start
 * @param path    the key path ({@code devices[2].iommu}); empty for the document as a whole
 * @param message {@code what is wrong; expected what}
 */
record Problem(JsonLocation at, String path, String message) {
    /** File order: by line, then column. */
    static final Comparator<Problem> FILE_ORDER = Comparator
            .comparingInt((Problem p) -> p.at == null ? 0 : p.at.getLineNr())
            .thenComparingInt(p -> p.at == null ? 0 : p.at.getColumnNr());

    /** {@code file:line:column: key.path: message}. */
    String format(String file) {
        return file + ":" + lineColumn(at) + ": " + (path.isEmpty() ? "(document)" : path) + ": " + message;
    }

    static String lineColumn(JsonLocation at) {
        return at == null ? "1:1" : at.getLineNr() + ":" + at.getColumnNr();
    }

    /** What the parser's current token is, in the words of a message ({@code the string 'yes'}). */
    static String found(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        return t == null ? "nothing" : switch (t) {
            case START_OBJECT -> "a map";
            case START_ARRAY -> "a list";
            case END_OBJECT -> "an empty map";
            case VALUE_STRING -> "the string '" + p.getText() + "'";
            case VALUE_NUMBER_INT -> "the number " + p.getText();
            case VALUE_NUMBER_FLOAT -> "the fraction " + p.getText();
            case VALUE_TRUE, VALUE_FALSE -> "the boolean " + p.getText();
            case VALUE_NULL -> "no value (null)";
            default -> t.asString() == null ? t.name() : t.asString();
        };
    }
}
