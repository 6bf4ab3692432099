package io.github.iommufd4j.simulator.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScenarioParserTest {
    private final ScenarioParser parser = new ScenarioParser();

    @Test
    void everyKeyIsReadFromYamlWithHexDecimalAndYamlOnOff() {
        Scenario s = parser.parse(Path.of("src/test/resources/valid/full.yaml")).scenario();
        assertThat(s.version()).isEqualTo(1);
        assertThat(s.name()).as("default name: file name without extension").isEqualTo("full");
        assertThat(s.profile()).isEqualTo("qemu-10.0");
        assertThat(s.backend()).isEqualTo("mock");
        assertThat(s.pageSize()).isEqualTo(4096);
        assertThat(s.memory()).containsExactly(new MemoryRange(0x1000000, 0x400000), new MemoryRange(0x2000000, 0x100000));
        assertThat(s.iommus()).containsExactly(new IommuDef("iommu0", "intel", true, false),
                IommuDef.withDefaults("iommu1"));
        assertThat(s.devices()).containsExactly(
                new DeviceDef("vf0", "iommu0", true, true, false, false, OnOffAuto.ON, OnOffAuto.OFF, true),
                DeviceDef.withDefaults("vf1", "iommu1"));
        assertThat(s.steps()).containsExactly(new Step.Attach("vf0"), new Step.Detach("vf0"),
                new Step.StartDirtyTracking(), new Step.StopDirtyTracking(), new Step.Dma("vf1", 0x1000000, 0x2000),
                Step.Sync.allMemory(), new Step.Sync(0x1000000L, 4096L), new Step.MapMemory(0x3000000, 0x100000),
                new Step.UnmapMemory(0x3000000, 0x100000), new Step.Fault(BackendOp.HWPT_ALLOC, Errno.ENOMEM, 2),
                new Step.Fault(BackendOp.ATTACH, Errno.EINVAL, 1));
    }

    @Test
    void theJsonSpellingOfTheSameScenarioReadsTheSame() {
        Scenario yaml = parser.parse(Path.of("src/test/resources/valid/full.yaml")).scenario();
        Scenario json = parser.parse(Path.of("src/test/resources/valid/full.json")).scenario();
        assertThat(json).isEqualTo(yaml);
    }

    @Test
    void defaultsAreThoseOfTheSpec() {
        Scenario s = parser.parse("min.yml", "version: 1\niommus: [{id: a}]\ndevices: [{name: d, iommu: a}]\n").scenario();
        assertThat(s.name()).isEqualTo("min");
        assertThat(s.profile()).isNull();
        assertThat(s.profileOrDefault()).isEqualTo("qemu-9.1");
        assertThat(s.backend()).isNull();
        assertThat(s.pageSize()).isEqualTo(4096);
        assertThat(s.memory()).isEmpty();
        assertThat(s.steps()).isEmpty();
        IommuDef i = s.iommus().get(0);
        assertThat(i.family()).isEqualTo("default");
        assertThat(i.dirtyTracking()).isFalse();
        assertThat(i.nestParent()).isTrue();
        DeviceDef d = s.devices().get(0);
        assertThat(List.of(d.mdev(), d.vfDirtyTracking(), d.migration(), d.p2p(), d.viommu()))
                .containsExactly(false, false, true, true, false);
        assertThat(d.enableMigration()).isEqualTo(OnOffAuto.AUTO);
        assertThat(d.deviceDirtyPageTracking()).isEqualTo(OnOffAuto.ON);
    }

    @Test
    void positionsOfValuesAreKeptForLaterErrors() {
        ParsedScenario p = parser.parse("pos.yaml", "version: 1\nbackend:   nope\n");
        assertThat(p.error("backend", "unknown backend 'nope'").getMessage())
                .isEqualTo("pos.yaml:2:12: backend: unknown backend 'nope'");
        assertThat(p.error("steps[3].dma", "x").getMessage()).as("nothing recorded: the file's start")
                .isEqualTo("pos.yaml:1:1: steps[3].dma: x");
    }

    @Test
    void numbersOutOfRangeAndLeadingZerosAreRejected() {
        assertThatThrownBy(() -> parser.parse("n.yaml", "version: 1\npageSize: 0x10000000000000000\n"))
                .hasMessage("n.yaml:2:11: pageSize: found the number 0x10000000000000000; expected an integer"
                        + " (decimal or 0x hex, at most 0x7fffffffffffffff)");
        assertThatThrownBy(() -> parser.parse("n.yaml", "version: 1\npageSize: 010\n"))
                .hasMessage("n.yaml:2:11: pageSize: found the number 010; expected an integer"
                        + " (decimal or 0x hex, at most 0x7fffffffffffffff)");
        assertThatThrownBy(() -> parser.parse("n.yaml", "version: 1\npageSize: 3000\n"))
                .hasMessage("n.yaml:2:11: pageSize: 3000 is not a page size; expected a positive power of two such as 4096");
        assertThatThrownBy(() -> parser.parse("n.json", "{\"version\": 1, \"pageSize\": 4096.5}"))
                .hasMessage("n.json:1:28: pageSize: found the fraction 4096.5; expected an integer"
                        + " (decimal or 0x hex, at most 0x7fffffffffffffff)");
    }

    @Test
    void emptyAndNonMapDocumentsAreRejected() {
        assertThatThrownBy(() -> parser.parse("e.yaml", ""))
                .hasMessage("e.yaml:1:1: (document): found nothing; expected a map starting with version: 1");
        assertThatThrownBy(() -> parser.parse("e.json", "[1]"))
                .hasMessage("e.json:1:1: (document): found a list; expected a map starting with version: 1");
    }

    @Test
    void aNameInTheFileWinsOverTheFileName() {
        assertThat(parser.parse("file.yaml", "version: 1\nname: given\n").scenario().name()).isEqualTo("given");
    }

    @Test
    void aNullWrittenInTheFileIsAProblemExceptAsTheValueOfAStepThatNeedsNone() {
        Scenario s = parser.parse("n.yaml", "version: 1\nsteps:\n  - startDirtyTracking:\n  - sync: ~\n").scenario();
        assertThat(s.steps()).containsExactly(new Step.StartDirtyTracking(), Step.Sync.allMemory());
        assertThatThrownBy(() -> parser.parse("n.yaml", "version: 1\niommus:\n  - {id: a, dirtyTracking: ~}\n"
                + "steps:\n  - attach:\n"))
                .hasMessage("n.yaml:3:28: iommus[0].dirtyTracking: found no value (null); expected true or false\n"
                        + "n.yaml:5:12: steps[0].attach: found no value (null); expected a device name");
    }

    @Test
    void aSecondDocumentIsAProblem() {
        assertThatThrownBy(() -> parser.parse("two.yaml", "version: 1\n---\nversion: 1\n"))
                .hasMessage("two.yaml:3:1: (document): found a map after the scenario; expected one scenario per file");
    }
}
