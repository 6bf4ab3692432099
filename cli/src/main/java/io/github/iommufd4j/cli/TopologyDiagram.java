package io.github.iommufd4j.cli;

import io.github.iommufd4j.simulator.report.ContainerReport;
import io.github.iommufd4j.simulator.report.HwptReport;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.Scenario;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The final topology of a run as a diagram: the address space, its containers, their HWPTs with flags, the
 * devices on them, and the IOMMU instances linked to their devices. Node ids are positional ({@code c0},
 * {@code h0_1}, {@code d2}, {@code i1}) so names never need escaping in ids.
 */
public final class TopologyDiagram {

    /** The diagram languages. */
    public enum Kind {
        MERMAID, DOT
    }

    private TopologyDiagram() {
    }

    /** The diagram of {@code r} in {@code kind}'s language, ending with a newline. */
    public static String render(Kind kind, SimulationReport r, Scenario scenario) {
        Graph g = graph(r, scenario);
        return kind == Kind.MERMAID ? mermaid(g) : dot(g);
    }

    private record Node(String id, List<String> label, String shape) {
    }

    private record Edge(String from, String to, boolean dashed) {
    }

    private record Graph(List<Node> nodes, List<Edge> edges) {
    }

    private static Graph graph(SimulationReport r, Scenario s) {
        List<Node> nodes = new ArrayList<>();
        List<Edge> edges = new ArrayList<>();
        nodes.add(new Node("as", List.of("address space"), "root"));
        for (int ci = 0; ci < r.containers().size(); ci++) {
            ContainerReport c = r.containers().get(ci);
            String cid = "c" + ci;
            nodes.add(new Node(cid, List.of("container ioas " + c.ioasId(),
                    "dirty pages supported: " + c.dirtyPagesSupported(),
                    "dirty tracking started: " + c.dirtyTrackingStarted()), "container"));
            edges.add(new Edge("as", cid, false));
            Set<String> onHwpt = new HashSet<>();
            for (int hi = 0; hi < c.hwpts().size(); hi++) {
                HwptReport h = c.hwpts().get(hi);
                String hid = "h" + ci + "_" + hi;
                nodes.add(new Node(hid, List.of("HWPT " + h.id(),
                        h.flags().isEmpty() ? "no flags" : String.join(" | ", h.flags())), "hwpt"));
                edges.add(new Edge(cid, hid, false));
                for (String d : h.devices()) {
                    edges.add(new Edge(hid, deviceId(s, d), false));
                    onHwpt.add(d);
                }
            }
            for (String d : c.devices()) {
                if (!onHwpt.contains(d)) {
                    edges.add(new Edge(cid, deviceId(s, d), false));
                }
            }
        }
        for (int di = 0; di < s.devices().size(); di++) {
            DeviceDef d = s.devices().get(di);
            boolean attached = r.devices().stream().anyMatch(dr -> dr.name().equals(d.name()) && dr.attached());
            nodes.add(new Node("d" + di, List.of(d.name() + (d.mdev() ? " (mdev)" : ""),
                    attached ? "attached" : "detached"), "device"));
        }
        for (int ii = 0; ii < s.iommus().size(); ii++) {
            IommuDef i = s.iommus().get(ii);
            nodes.add(new Node("i" + ii, List.of("IOMMU " + i.id(), "family " + i.family(),
                    i.dirtyTracking() ? "dirty tracking" : "no dirty tracking"), "iommu"));
            for (int di = 0; di < s.devices().size(); di++) {
                if (s.devices().get(di).iommu().equals(i.id())) {
                    edges.add(new Edge("i" + ii, "d" + di, true));
                }
            }
        }
        return new Graph(nodes, edges);
    }

    private static String deviceId(Scenario s, String name) {
        for (int i = 0; i < s.devices().size(); i++) {
            if (s.devices().get(i).name().equals(name)) {
                return "d" + i;
            }
        }
        throw new IllegalArgumentException("the report names device '" + name + "' that the scenario does not have");
    }

    private static String mermaid(Graph g) {
        StringBuilder out = new StringBuilder("graph TD\n");
        for (Node n : g.nodes()) {
            String label = "\"" + String.join("<br/>", n.label().stream().map(TopologyDiagram::mermaidText).toList()) + "\"";
            String shaped = switch (n.shape()) {
                case "root" -> "((" + label + "))";
                case "device" -> "([" + label + "])";
                case "iommu" -> "{{" + label + "}}";
                default -> "[" + label + "]";
            };
            out.append("  ").append(n.id()).append(shaped).append('\n');
        }
        for (Edge e : g.edges()) {
            out.append("  ").append(e.from()).append(e.dashed() ? " -.- " : " --> ").append(e.to()).append('\n');
        }
        return out.toString();
    }

    private static String mermaidText(String s) {
        return s.replace("\"", "#quot;").replace("<", "#lt;").replace(">", "#gt;");
    }

    private static String dot(Graph g) {
        StringBuilder out = new StringBuilder("digraph topology {\n  rankdir=TB;\n  node [shape=box];\n");
        for (Node n : g.nodes()) {
            String shape = switch (n.shape()) {
                case "root" -> "ellipse";
                case "device" -> "box, style=rounded";
                case "iommu" -> "hexagon";
                default -> "box";
            };
            out.append("  ").append(n.id()).append(" [label=\"")
                    .append(String.join("\\n", n.label().stream().map(TopologyDiagram::dotText).toList()))
                    .append("\", shape=").append(shape).append("];\n");
        }
        for (Edge e : g.edges()) {
            out.append("  ").append(e.from()).append(" -> ").append(e.to())
                    .append(e.dashed() ? " [style=dashed, arrowhead=none];\n" : ";\n");
        }
        return out.append("}\n").toString();
    }

    private static String dotText(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
