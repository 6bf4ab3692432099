package io.github.iommufd4j.simulator.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.github.iommufd4j.simulator.scenario.Scenario;
import java.io.UncheckedIOException;

/**
 * Writes a {@link Scenario} as a YAML scenario file of {@code docs/reference/scenario-format.md}, every key
 * but a null profile or backend spelled out, integers in {@code 0x} hex. {@link ScenarioParser} reads the text
 * back as an equal scenario, so generated and shrunk scenarios can be replayed with
 * {@code iommufd4j simulate FILE}.
 */
public final class ScenarioWriter {
    private ScenarioWriter() {
    }

    /** The scenario as YAML text, ending with a newline. */
    public static String toYaml(Scenario scenario) {
        try {
            return Formats.YAML_WRITER.writeValueAsString(scenario);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
