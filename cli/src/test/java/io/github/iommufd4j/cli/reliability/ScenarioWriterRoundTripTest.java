package io.github.iommufd4j.cli.reliability;


import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.simulator.io.ScenarioParser;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import io.github.iommufd4j.simulator.io.ScenarioWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What {@link ScenarioWriter} writes, the CLI's parser reads back as the same scenario (so shrunk files replay). */
class ScenarioWriterRoundTripTest {
    @Test
    void generatedScenariosSurviveWriteAndParse() {
        ScenarioParser parser = new ScenarioParser();
        for (long seed = 0; seed < 500; seed++) {
            Scenario s = ScenarioGenerator.generate(seed, ScenarioGenerator.Options.defaults());
            assertThat(parser.parse(s.name() + ".yaml", ScenarioWriter.toYaml(s)).scenario()).as("seed %d", seed)
                    .isEqualTo(s);
        }
    }

    @Test
    void shippedScenariosSurviveWriteAndParse() {
        ScenarioParser parser = new ScenarioParser();
        for (Path file : ScenarioFiles.all()) {
            Scenario s = parser.parse(file).scenario();
            assertThat(parser.parse("copy.yaml", ScenarioWriter.toYaml(s)).scenario()).as("%s", file).isEqualTo(s);
        }
    }
}
