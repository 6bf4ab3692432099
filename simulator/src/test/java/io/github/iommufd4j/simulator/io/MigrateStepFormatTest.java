package io.github.iommufd4j.simulator.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.simulator.scenario.DmaWrite;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The {@code migrate} step in files ({@code docs/reference/scenario-format.md}): optional, so version-1 files stay valid. */
class MigrateStepFormatTest {
    private static final String HOST = "version: 1\niommus: [{id: i}]\ndevices: [{name: vf0, iommu: i}]\nsteps:\n";
    private final ScenarioParser parser = new ScenarioParser();

    @Test
    @DisplayName("migrate: {} and migrate with no value are a migration without writes; dma lists the writes in order")
    void readsEverySpelling() {
        Scenario s = parser.parse("m.yaml", HOST + "  - migrate: {}\n  - migrate:\n"
                + "  - migrate: {dma: [{device: vf0, iova: 0x1000, length: 0x2000}, {device: vf0, iova: 0, length: 4096}]}\n")
                .scenario();
        assertThat(s.steps()).containsExactly(Step.Migrate.withoutWrites(), Step.Migrate.withoutWrites(),
                new Step.Migrate(List.of(new DmaWrite("vf0", 0x1000, 0x2000), new DmaWrite("vf0", 0, 4096))));
        Scenario json = parser.parse("m.json", "{\"version\": 1, \"iommus\": [{\"id\": \"i\"}], \"devices\": [{\"name\": \"vf0\","
                + " \"iommu\": \"i\"}], \"steps\": [{\"migrate\": {\"dma\": [{\"device\": \"vf0\", \"iova\": \"0x1000\","
                + " \"length\": \"0x2000\"}]}}]}").scenario();
        assertThat(json.steps()).containsExactly(new Step.Migrate(List.of(new DmaWrite("vf0", 0x1000, 0x2000))));
    }

    @Test
    @DisplayName("a write's device must exist and its range be page multiples; its keys are device, iova, length")
    void problemsArePlacedOnTheWrite() {
        assertThatThrownBy(() -> parser.parse("m.yaml", HOST
                + "  - migrate: {dma: [{device: vf9, iova: 0x1001, length: 0x1000}]}\n"))
                .hasMessage("m.yaml:5:30: steps[0].migrate.dma[0].device: unknown device 'vf9'; expected one of vf0\n"
                        + "m.yaml:5:41: steps[0].migrate.dma[0].iova: 0x1001 is not a multiple of pageSize 4096;"
                        + " expected a multiple of 0x1000");
        assertThatThrownBy(() -> parser.parse("m.yaml", HOST + "  - migrate: {dma: [{device: vf0, iova: 0}]}\n"))
                .hasMessageContaining("steps[0].migrate.dma[0].length: missing required key");
        assertThatThrownBy(() -> parser.parse("m.yaml", HOST + "  - migrate: {syncs: 3}\n"))
                .hasMessageContaining("steps[0].migrate.syncs: unknown key; expected one of dma");
    }

    @Test
    @DisplayName("the writer spells a migration without writes migrate: {} and reads back what it wrote")
    void writesAndReadsBack() {
        Scenario s = parser.parse("m.yaml", HOST + "  - attach: vf0\n  - migrate: {}\n"
                + "  - migrate: {dma: [{device: vf0, iova: 0x1000, length: 0x2000}]}\n").scenario();
        String yaml = ScenarioWriter.toYaml(s);
        assertThat(yaml).contains("- migrate: {}").contains("  - migrate:\n      dma:\n        - device: vf0\n");
        assertThat(parser.parse("m.yaml", yaml).scenario()).isEqualTo(s);
    }
}
