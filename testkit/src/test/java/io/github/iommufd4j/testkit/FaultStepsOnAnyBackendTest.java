package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.FaultInjection;
import io.github.iommufd4j.api.ForwardingIommufdBackend;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.backend.mock.MockBackend;
import io.github.iommufd4j.simulator.SimulationOptions;
import io.github.iommufd4j.simulator.Simulator;
import io.github.iommufd4j.simulator.report.SimulationReport;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code fault} steps on a backend without fault injection of its own run through the simulator's
 * {@code FaultInjectingBackend}, and mean exactly what they mean on the mock: generated scenarios with fault
 * steps give equal reports on the mock and on the mock with its fault injection hidden.
 */
class FaultStepsOnAnyBackendTest {
    static {
        QuietLogs.on();
    }

    static final int CASES = Integer.getInteger("iommufd4j.diffCases", 3000) / 3;

    /** The mock, with its own fault injection hidden: the simulator must bring its own. */
    static IommufdBackend withoutFaultInjection(IommufdBackend backend) {
        return new ForwardingIommufdBackend(backend) {
            @Override
            public Optional<FaultInjection> faultInjection() {
                return Optional.empty();
            }
        };
    }

    @Test
    @DisplayName("fault steps in front of a backend without fault injection give the mock's reports")
    void faultStepsGiveTheSameReportsThroughTheSimulatorsDecorator() {
        Simulator onMock = new Simulator(name -> new MockBackend());
        Simulator onOther = new Simulator(name -> withoutFaultInjection(new MockBackend()));
        long base = Failures.baseSeed(0xfa57_0000L);
        List<String> differing = new ArrayList<>();
        int withFaults = 0;
        int failedSteps = 0;
        for (int i = 0; i < CASES; i++) {
            Scenario s = ScenarioGenerator.generate(base + i, ScenarioGenerator.Options.defaults());
            if (s.steps().stream().noneMatch(st -> st instanceof Step.Fault)) {
                continue;
            }
            withFaults++;
            SimulationReport expected = onMock.run(s, SimulationOptions.defaults()).report();
            SimulationReport actual = onOther.run(s, SimulationOptions.defaults()).report();
            failedSteps += (int) actual.steps().stream().filter(r -> !r.ok()).count();
            if (!actual.equals(expected) && differing.size() < 3) {
                differing.add("seed 0x" + Long.toHexString(base + i) + ":\n  mock:  " + expected + "\n  other: " + actual);
            }
        }
        System.out.printf("fault steps on any backend: %d generated scenarios with fault steps, %d failed steps,"
                + " reports equal%n", withFaults, failedSteps);
        assertThat(differing).isEmpty();
        assertThat(withFaults).as("scenarios with fault steps").isGreaterThan(CASES / 4);
        assertThat(failedSteps).as("steps failed by the injected faults, among others").isPositive();
    }
}
