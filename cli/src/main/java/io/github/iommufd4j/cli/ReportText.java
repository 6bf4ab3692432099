package io.github.iommufd4j.cli;

import io.github.iommufd4j.simulator.report.CallReport;
import io.github.iommufd4j.simulator.report.ContainerReport;
import io.github.iommufd4j.simulator.report.DeviceReport;
import io.github.iommufd4j.simulator.report.HwptReport;
import io.github.iommufd4j.simulator.report.LostRun;
import io.github.iommufd4j.simulator.report.MigrationReport;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.report.StepReport;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.Scenario;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The readable form of a {@link SimulationReport}: the steps one by one with their backend calls, the final
 * topology as a tree (address space, containers, HWPTs with flags, devices with their IOMMU), the devices'
 * state, the warnings, the dirty-page account and leaked objects. ASCII only, so any terminal shows it.
 */
public final class ReportText {
    private ReportText() {
    }

    /** The report of a run of {@code scenario} (whose devices name their IOMMUs) as text, ending with a newline. */
    public static String render(SimulationReport r, Scenario scenario) {
        StringBuilder out = new StringBuilder();
        out.append("Scenario ").append(r.scenario()).append(" (profile ").append(r.profile()).append(", backend ")
                .append(r.backend()).append(")\n");
        steps(out, r);
        topology(out, r, scenario);
        devices(out, r);
        out.append("\nWarnings\n");
        if (r.warnings().isEmpty()) {
            out.append("  none\n");
        }
        for (String w : r.warnings()) {
            out.append("  - ").append(w).append('\n');
        }
        out.append("\nDirty pages\n  written ").append(r.dirty().written()).append(", reported ")
                .append(r.dirty().reported()).append(", lost ")
                .append(r.dirty().lost().stream().mapToLong(LostRun::pages).sum()).append('\n');
        for (LostRun run : r.dirty().lost()) {
            out.append("  LOST ").append(run.device()).append(" at ").append(run.iova()).append(": ")
                    .append(run.pages()).append(run.pages() == 1 ? " page\n" : " pages\n");
        }
        out.append("\nLeaked objects\n");
        out.append(r.leakedObjects().isEmpty() ? "  none\n" : "  " + String.join(", ", r.leakedObjects()) + "\n");
        return out.toString();
    }

    private static void steps(StringBuilder out, SimulationReport r) {
        out.append("\nSteps\n");
        if (r.steps().isEmpty()) {
            out.append("  none\n");
        }
        for (StepReport s : r.steps()) {
            out.append("  #").append(s.index()).append(' ').append(s.op());
            if (s.target() != null) {
                out.append(' ').append(s.target());
            }
            if (s.ok()) {
                out.append(": ok\n");
            } else {
                out.append(": FAILED");
                if (s.errno() != null) {
                    out.append(' ').append(s.errno());
                }
                if (s.message() != null) {
                    out.append(": ").append(s.message());
                }
                out.append('\n');
            }
            for (CallReport c : s.calls()) {
                out.append("      ").append(c.op());
                if (!c.args().isEmpty()) {
                    StringJoiner a = new StringJoiner(", ", "(", ")");
                    c.args().forEach((k, v) -> a.add(k + " " + v));
                    out.append(a);
                }
                if (c.flags() != null) {
                    out.append(' ').append(flags(c.flags()));
                }
                out.append(" -> ").append(c.result()).append('\n');
            }
            for (String w : s.warnings()) {
                out.append("      warning: ").append(w).append('\n');
            }
        }
    }

    private static void topology(StringBuilder out, SimulationReport r, Scenario scenario) {
        out.append("\nTopology\n  address space\n");
        List<ContainerReport> containers = r.containers();
        for (int ci = 0; ci < containers.size(); ci++) {
            ContainerReport c = containers.get(ci);
            boolean lastContainer = ci == containers.size() - 1;
            out.append("  ").append(lastContainer ? "`-- " : "|-- ").append("container ioas ").append(c.ioasId())
                    .append(" (dirty pages supported: ").append(yesNo(c.dirtyPagesSupported()))
                    .append(", dirty tracking: ").append(c.dirtyTrackingStarted() ? "started" : "stopped").append(")\n");
            String indent = "  " + (lastContainer ? "    " : "|   ");
            List<String> lines = new ArrayList<>();
            List<List<String>> children = new ArrayList<>();
            Set<String> onHwpt = new LinkedHashSet<>();
            for (HwptReport h : c.hwpts()) {
                lines.add("HWPT " + h.id() + " " + flags(h.flags()));
                List<String> devs = new ArrayList<>();
                for (String d : h.devices()) {
                    devs.add(deviceLabel(d, scenario));
                    onHwpt.add(d);
                }
                children.add(devs);
            }
            for (String d : c.devices()) {
                if (!onHwpt.contains(d)) {
                    lines.add(deviceLabel(d, scenario) + " (on the IOAS, no HWPT)");
                    children.add(List.of());
                }
            }
            for (int i = 0; i < lines.size(); i++) {
                boolean last = i == lines.size() - 1;
                out.append(indent).append(last ? "`-- " : "|-- ").append(lines.get(i)).append('\n');
                List<String> devs = children.get(i);
                for (int j = 0; j < devs.size(); j++) {
                    out.append(indent).append(last ? "    " : "|   ").append(j == devs.size() - 1 ? "`-- " : "|-- ")
                            .append(devs.get(j)).append('\n');
                }
            }
        }
        if (containers.isEmpty()) {
            out.append("  `-- (no containers)\n");
        }
    }

    private static void devices(StringBuilder out, SimulationReport r) {
        out.append("\nDevices\n");
        if (r.devices().isEmpty()) {
            out.append("  none\n");
        }
        for (DeviceReport d : r.devices()) {
            out.append("  ").append(d.name()).append(": ");
            if (d.attached()) {
                out.append("attached, ioas ").append(d.ioasId()).append(", ")
                        .append(d.hwptId() == null ? "no HWPT" : "hwpt " + d.hwptId());
            } else {
                out.append("detached");
            }
            out.append(", iommu dirty tracking ").append(yesNo(d.iommuDirtyTracking()));
            MigrationReport m = d.migration();
            out.append(", migration ");
            if (m == null) {
                out.append("not decided");
            } else {
                out.append(m.allowed() ? "allowed" : m.fatal() ? "refused (fatal)" : "blocked");
                if (m.message() != null) {
                    out.append(": ").append(m.message());
                }
            }
            out.append('\n');
        }
    }

    private static String deviceLabel(String name, Scenario scenario) {
        DeviceDef d = scenario == null ? null : scenario.device(name);
        return d == null ? name : name + " (" + d.iommu() + ")";
    }

    private static String flags(List<String> flags) {
        return flags.isEmpty() ? "[no flags]" : "[" + String.join(", ", flags) + "]";
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }
}
