package io.github.iommufd4j.cli;

import io.github.iommufd4j.core.report.SimulationReport;
import io.github.iommufd4j.core.scenario.Scenario;

/** Runs a scenario and reports; {@link CoreScenarioRunner} in use, a fixed report in tests of the command. */
@FunctionalInterface
interface ScenarioRunner {
    /**
     * Runs {@code scenario}.
     *
     * @param backend a backend name, or null for the scenario's (else mock)
     * @param profile a profile name, or null for the scenario's (else qemu-9.1)
     * @throws CommandErrors.InvalidInput when the scenario cannot run as asked (unknown or unavailable backend)
     */
    SimulationReport run(Scenario scenario, String backend, String profile);
}
