package io.github.iommufd4j.simulator.scenario;

import io.github.iommufd4j.core.OnOffAuto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ScenarioValidatorTest {

    private static Scenario scenario(List<MemoryRange> memory, List<IommuDef> iommus, List<DeviceDef> devices,
                                     List<Step> steps) {
        return new Scenario(1, "t", null, null, 4096, memory, iommus, devices, steps);
    }

    @Test
    void aWellFormedScenarioHasNoProblems() {
        Scenario s = scenario(List.of(new MemoryRange(0x1000000, 0x400000)), List.of(IommuDef.withDefaults("iommu0")),
                List.of(DeviceDef.withDefaults("vf0", "iommu0")),
                List.of(new Step.Attach("vf0"), new Step.StartDirtyTracking(), new Step.Dma("vf0", 0x1000000, 0x2000),
                        Step.Sync.allMemory(), new Step.Fault(BackendOp.HWPT_ALLOC, Errno.ENOMEM, 1)));
        assertThat(s.problems()).isEmpty();
        assertThat(s.profileOrDefault()).isEqualTo("qemu-9.1");
    }

    @Test
    void danglingIommuReferenceIsNamedByKeyPath() {
        Scenario s = scenario(List.of(), List.of(IommuDef.withDefaults("iommu0"), IommuDef.withDefaults("iommu1")),
                List.of(DeviceDef.withDefaults("a", "iommu0"), DeviceDef.withDefaults("b", "iommu1"),
                        DeviceDef.withDefaults("c", "smmu9")), List.of());
        assertThat(s.problems()).extracting(ScenarioProblem::toString)
                .containsExactly("devices[2].iommu: unknown IOMMU 'smmu9'; expected one of iommu0, iommu1");
    }

    @Test
    void duplicatesUnknownStepDevicesAndMisalignmentAreAllReportedInFileOrder() {
        Scenario s = new Scenario(1, "t", "fast", null, 4096,
                List.of(new MemoryRange(0x1000, 0x2000), new MemoryRange(0x2000, 0x1000)),
                List.of(IommuDef.withDefaults("i"), IommuDef.withDefaults("i")),
                List.of(DeviceDef.withDefaults("d", "i"), DeviceDef.withDefaults("d", "i")),
                List.of(new Step.Detach("x"), new Step.Dma("d", 0x1001, 0x1000), new Step.Sync(0x1000L, 0x10L),
                        new Step.MapMemory(0x3000, 0x1000)));
        assertThat(s.problems()).extracting(ScenarioProblem::toString).containsExactly(
                "profile: unknown profile 'fast'; expected one of " + String.join(", ", Scenario.knownProfiles()),
                "memory[1]: range [0x2000, 0x3000) overlaps memory[0]; expected disjoint ranges",
                "iommus[1].id: duplicate IOMMU id 'i'; expected a unique id",
                "devices[1].name: duplicate device name 'd'; expected a unique name",
                "steps[0].detach: unknown device 'x'; expected one of d",
                "steps[1].dma.iova: 0x1001 is not a multiple of pageSize 4096; expected a multiple of 0x1000",
                "steps[2].sync.length: 0x10 is not a multiple of pageSize 4096; expected a multiple of 0x1000");
    }

    @Test
    @DisplayName("records reject values no scenario file could mean, with the value in the message")
    void recordsRejectImpossibleValues() {
        assertThatThrownBy(() -> new MemoryRange(0, 0)).hasMessage("length: length 0 is not positive; expected a positive number of bytes");
        assertThatThrownBy(() -> new Step.Dma("d", -4096, 4096)).hasMessageContaining("negative");
        assertThatThrownBy(() -> new Step.Sync(0L, null)).hasMessageContaining("both iova and length");
        assertThatThrownBy(() -> new Step.Fault(BackendOp.ATTACH, Errno.EINVAL, 0)).hasMessageStartingWith("nth: 0 is out of range");
        assertThatThrownBy(() -> new Scenario(2, "t", null, null, 4096, List.of(), List.of(), List.of(), List.of()))
                .hasMessageContaining("version 2");
        assertThatThrownBy(() -> new Scenario(1, "t", null, null, 3000, List.of(), List.of(), List.of(), List.of()))
                .hasMessageStartingWith("pageSize: 3000 is not a page size");
    }

    @Test
    void stepsKnowTheirReportOpAndTarget() {
        assertThat(new Step.Attach("vf0").opName()).isEqualTo("attach");
        assertThat(new Step.Attach("vf0").target()).isEqualTo("vf0");
        assertThat(new Step.StartDirtyTracking().opName()).isEqualTo("startDirtyTracking");
        assertThat(new Step.StartDirtyTracking().target()).isNull();
        assertThat(new Step.UnmapMemory(0, 4096).opName()).isEqualTo("unmap");
        assertThat(new Step.Dma("vf1", 0, 4096).target()).isEqualTo("vf1");
        assertThat(OnOffAuto.ofSpelling("auto")).contains(OnOffAuto.AUTO);
        assertThat(OnOffAuto.ofSpelling("On")).isEmpty();
    }
}
