package io.github.iommufd4j.core;

import java.util.Objects;

/**
 * A message QEMU would print: {@code warn_report} ({@link Level#WARNING}) or {@code error_report} of a
 * non-fatal failure ({@link Level#ERROR}).
 *
 * @param level  how serious
 * @param text   the text, exactly as QEMU prints it where {@code docs/reference/qemu-rules.md} gives one
 * @param device the device concerned, or null
 */
public record Diagnostic(Level level, String text, String device) {
    /** Severity. */
    public enum Level { WARNING, ERROR }

    public Diagnostic {
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(text, "text");
    }
}
