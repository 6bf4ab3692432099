package io.github.iommufd4j.simulator;

import io.github.iommufd4j.core.Snapshots;
import io.github.iommufd4j.simulator.report.SimulationReport;

/**
 * A finished simulation.
 *
 * @param report   the report of {@code scenario-format.md}
 * @param topology the final topology, before the simulator's clean-up detach
 */
public record SimulationResult(SimulationReport report, Snapshots.Topology topology) {
}
