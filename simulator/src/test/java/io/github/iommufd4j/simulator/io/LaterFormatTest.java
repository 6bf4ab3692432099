package io.github.iommufd4j.simulator.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.core.ViommuKind;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The optional keys and steps added for the profiles after {@code qemu-10.0} ({@code docs/reference/scenario-format.md}):
 * {@code memory[].readOnly} (Q-EV-12), {@code devices[].viommuKind} (Q-EV-3, Q-EV-13, and the translating vIOMMU of
 * Q-EV-5 and Q-EV-9), {@code viommuMap} and {@code viommuUnmap} (Q-EV-5). Version-1 files stay valid and read the same
 * ({@code ScenarioParserTest}); a bad new key is reported like every other problem, {@code file:line:column: path: message}.
 */
class LaterFormatTest {
    private final ScenarioParser parser = new ScenarioParser();

    @Test
    @DisplayName("the new keys and steps are read")
    void newKeysAreRead() {
        Scenario s = parser.parse(Path.of("src/test/resources/valid/later-keys.yaml")).scenario();
        assertThat(s.memory()).containsExactly(new MemoryRange(0x1000000, 0x400000),
                new MemoryRange(0x2000000, 0x100000, true));
        assertThat(s.devices()).extracting(DeviceDef::viommuKindOrDefault).containsExactly(ViommuKind.INTEL_IOMMU,
                ViommuKind.INTEL_IOMMU_X_FLTS, ViommuKind.ARM_SMMUV3_ACCEL, ViommuKind.GENERIC);
        assertThat(s.device("g0").viommuKind()).isNull();
        assertThat(s.steps()).containsExactly(new Step.Attach("t0"), new Step.ViommuMap("t0", 0x1000000, 0x2000),
                new Step.ViommuUnmap("t0", 0x1000000, 0x2000));
    }

    @Test
    @DisplayName("the writer leaves the new keys out at their defaults, so version-1 scenarios are written as before")
    void writerOmitsDefaults() {
        Scenario v1 = parser.parse(Path.of("src/test/resources/valid/full.yaml")).scenario();
        String yaml = ScenarioWriter.toYaml(v1);
        assertThat(yaml).doesNotContain("readOnly").doesNotContain("viommuKind").doesNotContain("viommuMap");
        Scenario later = parser.parse(Path.of("src/test/resources/valid/later-keys.yaml")).scenario();
        String written = ScenarioWriter.toYaml(later);
        assertThat(written).contains("readOnly: true", "viommuKind: intel-iommu-x-flts", "viommuMap:", "viommuUnmap:");
        assertThat(parser.parse("copy.yaml", written).scenario()).isEqualTo(later);
    }

    @Test
    @DisplayName("an unknown vIOMMU kind and a kind without viommu: true are problems at their key")
    void badViommuKind() {
        assertThatThrownBy(() -> parser.parse("k.yaml", "version: 1\niommus: [{id: i}]\ndevices:\n"
                + "  - {name: d, iommu: i, viommu: true, viommuKind: virtio-iommu}\n"
                + "  - {name: e, iommu: i, viommuKind: intel-iommu}\n"))
                .hasMessage("k.yaml:4:51: devices[0].viommuKind: 'virtio-iommu' is not a vIOMMU kind; expected one of"
                        + " intel-iommu, intel-iommu-x-flts, arm-smmuv3-accel\n"
                        + "k.yaml:5:37: devices[1].viommuKind: a vIOMMU kind needs viommu: true (the device sits behind"
                        + " the vIOMMU)");
    }

    @Test
    @DisplayName("readOnly takes a boolean")
    void readOnlyIsABoolean() {
        assertThatThrownBy(() -> parser.parse("r.yaml", "version: 1\nmemory:\n  - {iova: 0x1000000, length: 0x1000,"
                + " readOnly: rom}\n"))
                .hasMessage("r.yaml:3:49: memory[0].readOnly: found the string 'rom'; expected true or false");
    }

    @Test
    @DisplayName("vIOMMU steps: a device behind a translating vIOMMU, one IOTLB entry, only known keys")
    void viommuStepProblems() {
        String host = "version: 1\niommus: [{id: i}]\ndevices:\n  - {name: t, iommu: i, viommu: true, viommuKind: intel-iommu}\n"
                + "  - {name: p, iommu: i}\nsteps:\n";
        assertThatThrownBy(() -> parser.parse("v.yaml", host
                + "  - viommuMap: {device: p, iova: 0x1000000, length: 0x1000}\n"
                + "  - viommuMap: {device: t, iova: 0x1000000, length: 0x3000}\n"
                + "  - viommuUnmap: {device: t, iova: 0x1001000, length: 0x2000}\n"
                + "  - viommuUnmap: {device: nobody, iova: 0x1000000, length: 0x1000}\n"))
                .hasMessage("v.yaml:7:25: steps[0].viommuMap.device: device 'p' sits behind no translating vIOMMU; expected"
                        + " a device with viommu: true and viommuKind: intel-iommu\n"
                        + "v.yaml:8:53: steps[1].viommuMap.length: 0x3000 is not one IOTLB entry; expected a power of two"
                        + " (a multiple of pageSize 0x1000)\n"
                        + "v.yaml:9:36: steps[2].viommuUnmap.iova: 0x1001000 is not aligned to the mapping's length 0x2000;"
                        + " expected an IOTLB entry's natural alignment\n"
                        + "v.yaml:10:27: steps[3].viommuUnmap.device: unknown device 'nobody'; expected one of t, p");
        assertThatThrownBy(() -> parser.parse("v.yaml", host + "  - viommuMap: {device: t, iova: 0x1000000, size: 4096}\n"))
                .hasMessageContaining("steps[0].viommuMap.length: missing required key")
                .hasMessageContaining("steps[0].viommuMap.size: unknown key; expected one of device, iova, length");
    }
}
