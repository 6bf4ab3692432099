package io.github.iommufd4j.simulator.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.github.iommufd4j.simulator.report.SimulationReport;
import java.io.UncheckedIOException;

/**
 * The JSON form of a {@link SimulationReport}, exactly as {@code docs/reference/scenario-format.md} shapes it:
 * the records bound as they are (keys in component order, nulls written as {@code null}, a call's
 * {@code flags} only when present and its arguments after {@code result}), pretty-printed with two-space
 * indentation and a final newline.
 */
public final class ReportJson {
    private static final ObjectWriter WRITER = Formats.REPORT.writer(prettyPrinter());

    private ReportJson() {
    }

    /** The report as one pretty-printed JSON document, ending with a newline. */
    public static String write(SimulationReport report) {
        try {
            return WRITER.writeValueAsString(report) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads a report written by {@link #write} (or by hand in the same shape) back into records.
     *
     * @throws IllegalArgumentException naming where the text is not such a report
     */
    public static SimulationReport read(String json) {
        try {
            return Formats.REPORT.readValue(json, SimulationReport.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON report: " + e.getMessage(), e);
        }
    }

    private static DefaultPrettyPrinter prettyPrinter() {
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        return new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER).withObjectEmptySeparator("")
                .withArrayEmptySeparator("")).withObjectIndenter(indenter).withArrayIndenter(indenter);
    }
}
