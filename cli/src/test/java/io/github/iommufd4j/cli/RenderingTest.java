package io.github.iommufd4j.cli;

import io.github.iommufd4j.simulator.testing.Fixtures;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.simulator.report.ContainerReport;
import io.github.iommufd4j.simulator.report.DeviceReport;
import io.github.iommufd4j.simulator.report.DirtyReport;
import io.github.iommufd4j.simulator.report.HwptReport;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.Scenario;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The text report and the diagrams of the fixed report of {@link Fixtures}. */
class RenderingTest {

    @Test
    void textShowsStepsCallsTheTopologyTreeDevicesWarningsDirtyPagesAndLeaks() {
        assertThat(ReportText.render(Fixtures.report(), Fixtures.scenario())).isEqualTo("""
                Scenario fixture (profile qemu-9.1, backend mock)

                Steps
                  #0 attach vf0: ok
                      HWPT_ALLOC [DIRTY_TRACKING] -> ok
                      ATTACH -> ok
                  #1 attach vf1: FAILED EINVAL: vf1: "quoted" failure
                      ATTACH -> EINVAL
                      warning: IOMMU instance for device vf1 doesn't support dirty tracking

                Topology
                  address space
                  |-- container ioas 2 (dirty pages supported: no, dirty tracking: started)
                  |   |-- HWPT 7 [no flags]
                  |   |   `-- vf1 (iommu1)
                  |   `-- md0 (iommu1) (on the IOAS, no HWPT)
                  `-- container ioas 1 (dirty pages supported: yes, dirty tracking: stopped)
                      `-- HWPT 4 [NEST_PARENT, DIRTY_TRACKING]
                          `-- vf0 (iommu0)

                Devices
                  vf0: attached, ioas 1, hwpt 4, iommu dirty tracking yes, migration allowed
                  vf1: attached, ioas 2, hwpt 7, iommu dirty tracking no, migration blocked: vf1: no dirty tracking
                  md0: attached, ioas 2, no HWPT, iommu dirty tracking no, migration not decided
                  vf2: detached, iommu dirty tracking no, migration not decided

                Warnings
                  - IOMMU instance for device vf1 doesn't support dirty tracking

                Dirty pages
                  written 3, reported 1, lost 2
                  LOST vf1 at 0x1000000: 2 pages

                Leaked objects
                  HWPT 9
                """);
    }

    @Test
    void mermaidLinksAddressSpaceContainersHwptsDevicesAndIommus() {
        assertThat(TopologyDiagram.render(TopologyDiagram.Kind.MERMAID, Fixtures.report(), Fixtures.scenario()))
                .isEqualTo("""
                        graph TD
                          as(("address space"))
                          c0["container ioas 2<br/>dirty pages supported: false<br/>dirty tracking started: true"]
                          h0_0["HWPT 7<br/>no flags"]
                          c1["container ioas 1<br/>dirty pages supported: true<br/>dirty tracking started: false"]
                          h1_0["HWPT 4<br/>NEST_PARENT | DIRTY_TRACKING"]
                          d0(["vf0<br/>attached"])
                          d1(["vf1<br/>attached"])
                          d2(["md0 (mdev)<br/>attached"])
                          d3(["vf2<br/>detached"])
                          i0{{"IOMMU iommu0<br/>family default<br/>dirty tracking"}}
                          i1{{"IOMMU iommu1<br/>family default<br/>no dirty tracking"}}
                          as --> c0
                          c0 --> h0_0
                          h0_0 --> d1
                          c0 --> d2
                          as --> c1
                          c1 --> h1_0
                          h1_0 --> d0
                          i0 -.- d0
                          i0 -.- d3
                          i1 -.- d1
                          i1 -.- d2
                        """);
    }

    @Test
    void dotHasTheSameGraph() {
        assertThat(TopologyDiagram.render(TopologyDiagram.Kind.DOT, Fixtures.report(), Fixtures.scenario()))
                .isEqualTo("""
                        digraph topology {
                          rankdir=TB;
                          node [shape=box];
                          as [label="address space", shape=ellipse];
                          c0 [label="container ioas 2\\ndirty pages supported: false\\ndirty tracking started: true", shape=box];
                          h0_0 [label="HWPT 7\\nno flags", shape=box];
                          c1 [label="container ioas 1\\ndirty pages supported: true\\ndirty tracking started: false", shape=box];
                          h1_0 [label="HWPT 4\\nNEST_PARENT | DIRTY_TRACKING", shape=box];
                          d0 [label="vf0\\nattached", shape=box, style=rounded];
                          d1 [label="vf1\\nattached", shape=box, style=rounded];
                          d2 [label="md0 (mdev)\\nattached", shape=box, style=rounded];
                          d3 [label="vf2\\ndetached", shape=box, style=rounded];
                          i0 [label="IOMMU iommu0\\nfamily default\\ndirty tracking", shape=hexagon];
                          i1 [label="IOMMU iommu1\\nfamily default\\nno dirty tracking", shape=hexagon];
                          as -> c0;
                          c0 -> h0_0;
                          h0_0 -> d1;
                          c0 -> d2;
                          as -> c1;
                          c1 -> h1_0;
                          h1_0 -> d0;
                          i0 -> d0 [style=dashed, arrowhead=none];
                          i0 -> d3 [style=dashed, arrowhead=none];
                          i1 -> d1 [style=dashed, arrowhead=none];
                          i1 -> d2 [style=dashed, arrowhead=none];
                        }
                        """);
    }

    @Test
    void quotesAndAnglesInNamesAreEscapedInBothLanguages() {
        Scenario s = new Scenario(1, "q", null, null, 4096, List.of(), List.of(IommuDef.withDefaults("a\"b")),
                List.of(DeviceDef.withDefaults("<vf\"0>", "a\"b")), List.of());
        SimulationReport r = new SimulationReport(1, "q", "qemu-9.1", "mock", List.of(),
                List.of(new ContainerReport(1, true, false, List.of(new HwptReport(2, List.of(), List.of("<vf\"0>"))),
                        List.of("<vf\"0>"))),
                List.of(new DeviceReport("<vf\"0>", true, 1, 2, false, null)), List.of(), new DirtyReport(0, 0, List.of()),
                List.of());
        assertThat(TopologyDiagram.render(TopologyDiagram.Kind.MERMAID, r, s))
                .contains("d0([\"#lt;vf#quot;0#gt;<br/>attached\"])")
                .contains("i0{{\"IOMMU a#quot;b<br/>family default<br/>no dirty tracking\"}}");
        assertThat(TopologyDiagram.render(TopologyDiagram.Kind.DOT, r, s))
                .contains("d0 [label=\"<vf\\\"0>\\nattached\", shape=box, style=rounded];")
                .contains("i0 [label=\"IOMMU a\\\"b\\nfamily default\\nno dirty tracking\", shape=hexagon];");
    }
}
