package io.github.iommufd4j.cli;

import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.SimulationOptions;

/** Runs a scenario and reports; {@link CoreScenarioRunner} in use, a fixed report in tests of the command. */
@FunctionalInterface
interface ScenarioRunner {
    /**
     * Runs {@code scenario} with the command line's backend, profile and backend options over the scenario's own.
     *
     * @throws CommandErrors.InvalidInput when the scenario cannot run as asked (unknown or unavailable backend)
     */
    SimulationReport run(Scenario scenario, SimulationOptions options);
}
