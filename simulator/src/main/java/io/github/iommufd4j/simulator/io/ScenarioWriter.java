package io.github.iommufd4j.simulator.io;

import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes a {@link Scenario} as a YAML scenario file of {@code scenario-format.md} (format version 1), every
 * field spelled out, numbers of addresses in hex. Reading the text back with the CLI's parser gives an equal
 * scenario. Used to save generated and shrunk scenarios so a failure can be replayed with
 * {@code iommufd4j simulate FILE}.
 */
public final class ScenarioWriter {
    /** Plain scalars that need no quotes: identifiers that YAML cannot read as anything but a string. */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_.+-]*");
    /** Words YAML 1.1 (and so the CLI's parser) would read as booleans or null. */
    private static final Set<String> RESERVED = Set.of("y", "n", "yes", "no", "on", "off", "true", "false", "null",
            "~");

    private ScenarioWriter() {
    }

    /** The scenario as YAML text, ending with a newline. */
    public static String toYaml(Scenario s) {
        StringBuilder b = new StringBuilder();
        b.append("version: ").append(s.version()).append('\n');
        b.append("name: ").append(scalar(s.name())).append('\n');
        if (s.profile() != null) {
            b.append("profile: ").append(scalar(s.profile())).append('\n');
        }
        if (s.backend() != null) {
            b.append("backend: ").append(scalar(s.backend())).append('\n');
        }
        b.append("pageSize: ").append(s.pageSize()).append('\n');
        list(b, "memory", s.memory());
        for (MemoryRange m : s.memory()) {
            b.append("  - ").append(range(m.iova(), m.length())).append('\n');
        }
        list(b, "iommus", s.iommus());
        for (IommuDef i : s.iommus()) {
            b.append("  - {id: ").append(scalar(i.id())).append(", family: ").append(scalar(i.family()))
                    .append(", dirtyTracking: ").append(i.dirtyTracking()).append(", nestParent: ")
                    .append(i.nestParent()).append("}\n");
        }
        list(b, "devices", s.devices());
        for (DeviceDef d : s.devices()) {
            b.append("  - {name: ").append(scalar(d.name())).append(", iommu: ").append(scalar(d.iommu()))
                    .append(", mdev: ").append(d.mdev()).append(", vfDirtyTracking: ").append(d.vfDirtyTracking())
                    .append(", migration: ").append(d.migration()).append(", p2p: ").append(d.p2p())
                    .append(", enableMigration: ").append(d.enableMigration().spelling())
                    .append(", deviceDirtyPageTracking: ").append(d.deviceDirtyPageTracking().spelling())
                    .append(", viommu: ").append(d.viommu()).append("}\n");
        }
        list(b, "steps", s.steps());
        for (Step step : s.steps()) {
            b.append("  - ").append(step.opName()).append(": ").append(stepValue(step)).append('\n');
        }
        return b.toString();
    }

    private static void list(StringBuilder b, String key, List<?> items) {
        b.append(key).append(':').append(items.isEmpty() ? " []" : "").append('\n');
    }

    private static String stepValue(Step step) {
        if (step instanceof Step.Attach || step instanceof Step.Detach) {
            return scalar(step.target());
        } else if (step instanceof Step.Dma d) {
            return "{device: " + scalar(d.device()) + ", iova: " + hex(d.iova()) + ", length: " + hex(d.length()) + "}";
        } else if (step instanceof Step.Sync s) {
            return s.isAllMemory() ? "{}" : range(s.iova(), s.length());
        } else if (step instanceof Step.MapMemory m) {
            return range(m.iova(), m.length());
        } else if (step instanceof Step.UnmapMemory u) {
            return range(u.iova(), u.length());
        } else if (step instanceof Step.Fault f) {
            return "{op: " + f.op().name() + ", errno: " + f.errno().name() + ", nth: " + f.nth() + "}";
        }
        return "{}";
    }

    private static String range(long iova, long length) {
        return "{iova: " + hex(iova) + ", length: " + hex(length) + "}";
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** A string as a plain scalar when that is unambiguous, else double-quoted with escapes. */
    static String scalar(String v) {
        if (PLAIN.matcher(v).matches() && !RESERVED.contains(v.toLowerCase(java.util.Locale.ROOT))) {
            return v;
        }
        StringBuilder q = new StringBuilder("\"");
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\t' -> q.append("\\t");
                case '\r' -> q.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        q.append(String.format("\\x%02x", (int) c));
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }
}
