package io.github.iommufd4j.cli;

import io.github.iommufd4j.core.report.SimulationReport;
import io.github.iommufd4j.core.scenario.Scenario;
import io.github.iommufd4j.core.sim.SimulationException;
import io.github.iommufd4j.core.sim.SimulationOptions;
import io.github.iommufd4j.core.sim.Simulator;

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
