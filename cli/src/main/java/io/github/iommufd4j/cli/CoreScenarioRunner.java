package io.github.iommufd4j.cli;

import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.SimulationException;
import io.github.iommufd4j.simulator.SimulationOptions;
import io.github.iommufd4j.simulator.Simulator;

/** Runs scenarios with core's {@link Simulator}. */
final class CoreScenarioRunner implements ScenarioRunner {
    private final Simulator simulator = new Simulator();

    @Override
    public SimulationReport run(Scenario scenario, SimulationOptions options) {
        try {
            return simulator.run(scenario, options).report();
        } catch (SimulationException e) {
            throw new CommandErrors.InvalidInput("cannot run scenario " + scenario.name() + ": " + e.getMessage());
        }
    }
}
