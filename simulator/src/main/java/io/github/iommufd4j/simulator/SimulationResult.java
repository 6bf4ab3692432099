package io.github.iommufd4j.simulator;

import io.github.iommufd4j.core.Snapshots;
import io.github.iommufd4j.simulator.oracle.DirtyCosts;
import io.github.iommufd4j.simulator.report.SimulationReport;

/**
 * A finished simulation.
 *
 * @param report   the report of {@code docs/reference/scenario-format.md}
 * @param topology the final topology, before the simulator's clean-up detach
 * @param costs    what the syncs copied: needed, over-reported and perpetual pages (the other half of the
 *                 lost-page oracle; not part of the JSON report, whose shape is a fixed contract)
 */
public record SimulationResult(SimulationReport report, Snapshots.Topology topology, DirtyCosts costs) {
}
