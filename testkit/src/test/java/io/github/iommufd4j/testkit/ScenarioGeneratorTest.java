package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.ScenarioValidator;
import io.github.iommufd4j.simulator.scenario.Step;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import io.github.iommufd4j.testkit.ScenarioShrinker;
import io.github.iommufd4j.simulator.io.ScenarioWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generator gives valid, varied, reproducible scenarios; the shrinker and the writer do what they say. */
class ScenarioGeneratorTest {
    static final int SEEDS = 2000;

    @Test
    void sameSeedSameScenarioOtherSeedOtherScenario() {
        ScenarioGenerator.Options o = ScenarioGenerator.Options.defaults();
        assertThat(ScenarioGenerator.generate(42, o)).isEqualTo(ScenarioGenerator.generate(42, o));
        assertThat(ScenarioGenerator.generate(42, o)).isNotEqualTo(ScenarioGenerator.generate(43, o));
    }

    @Test
    void everyGeneratedScenarioIsValidAndWithinTheBounds() {
        ScenarioGenerator.Options o = ScenarioGenerator.Options.defaults();
        Set<String> ops = new HashSet<>();
        Set<BackendOp> faultOps = new HashSet<>();
        Set<Integer> iommuCounts = new HashSet<>();
        Set<Integer> deviceCounts = new HashSet<>();
        Set<String> families = new HashSet<>();
        boolean mdev = false;
        boolean viommu = false;
        for (long seed = 0; seed < SEEDS; seed++) {
            Scenario s = ScenarioGenerator.generate(seed, o);
            assertThat(ScenarioValidator.validate(s)).as("seed %d", seed).isEmpty();
            assertThat(s.iommus()).hasSizeBetween(1, 4);
            assertThat(s.devices()).hasSizeBetween(1, 6);
            assertThat(s.steps()).hasSizeBetween(10, 40);
            assertThat(s.memory()).hasSizeBetween(1, 2);
            for (MemoryRange m : s.memory()) {
                assertThat(m.iova()).isGreaterThanOrEqualTo(ScenarioGenerator.MEMORY_START);
                assertThat(m.end()).isLessThanOrEqualTo(ScenarioGenerator.MEMORY_END);
                assertThat(m.iova() % ScenarioGenerator.MEMORY_GRANULE).isZero();
                assertThat(m.length() % ScenarioGenerator.MEMORY_GRANULE).isZero();
            }
            iommuCounts.add(s.iommus().size());
            deviceCounts.add(s.devices().size());
            s.iommus().forEach(i -> families.add(i.family()));
            mdev |= s.devices().stream().anyMatch(d -> d.mdev());
            viommu |= s.devices().stream().anyMatch(d -> d.viommu());
            for (Step st : s.steps()) {
                ops.add(st.opName());
                if (st instanceof Step.Fault f) {
                    faultOps.add(f.op());
                    assertThat(ScenarioGenerator.plausibleErrnos(f.op())).contains(f.errno());
                }
            }
        }
        assertThat(ops).containsExactlyInAnyOrder("attach", "detach", "startDirtyTracking", "stopDirtyTracking", "dma",
                "sync", "map", "unmap", "fault");
        assertThat(faultOps).containsExactlyInAnyOrderElementsOf(ScenarioGenerator.faultableOps());
        assertThat(iommuCounts).containsExactlyInAnyOrder(1, 2, 3, 4);
        assertThat(deviceCounts).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6);
        assertThat(families).hasSize(2);
        assertThat(mdev).isTrue();
        assertThat(viommu).isTrue();
    }

    @Test
    void withoutFaultsHasNoFaultStep() {
        ScenarioGenerator.Options o = ScenarioGenerator.Options.defaults().withoutFaults();
        for (long seed = 0; seed < 300; seed++) {
            assertThat(ScenarioGenerator.generate(seed, o).steps()).noneMatch(st -> st instanceof Step.Fault);
        }
    }

    @Test
    void plausibleErrnosAreEnomemEverywhereAndEinvalOrEbusyOnlyWhereTheCallCanReturnThem() {
        for (BackendOp op : ScenarioGenerator.faultableOps()) {
            assertThat(ScenarioGenerator.plausibleErrnos(op)).as("%s", op).startsWith(Errno.ENOMEM)
                    .isSubsetOf(Errno.ENOMEM, Errno.EINVAL, Errno.EBUSY);
        }
        assertThat(ScenarioGenerator.plausibleErrnos(BackendOp.ATTACH)).contains(Errno.EINVAL, Errno.EBUSY);
        assertThat(ScenarioGenerator.plausibleErrnos(BackendOp.GET_HW_INFO)).containsExactly(Errno.ENOMEM);
        assertThat(ScenarioGenerator.faultableOps()).doesNotContain(BackendOp.UNBIND);
    }

    @Test
    void optionsRejectImpossibleRanges() {
        assertThatThrownBy(() -> new ScenarioGenerator.Options(0, 4, 1, 6, 10, 40, true, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minIommus");
        assertThatThrownBy(() -> new ScenarioGenerator.Options(1, 4, 3, 2, 10, 40, true, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minDevices");
    }

    @Test
    void shrinkerKeepsOnlyWhatTheFailureNeeds() {
        Scenario big = ScenarioGenerator.generate(7, ScenarioGenerator.Options.defaults().withSteps(40, 40));
        String device = big.devices().get(0).name();
        // "Fails" when an attach of the first device is followed, at any distance, by its detach.
        Scenario failing = new Scenario(1, big.name(), null, null, 4096, big.memory(), big.iommus(), big.devices(),
                concat(big.steps(), List.of(new Step.Attach(device), new Step.Sync(null, null), new Step.Detach(device))));
        Scenario shrunk = ScenarioShrinker.shrink(failing, s -> attachThenDetach(s, device));
        assertThat(shrunk.steps()).containsExactly(new Step.Attach(device), new Step.Detach(device));
        assertThat(shrunk.devices()).extracting(d -> d.name()).containsExactly(device);
        assertThat(shrunk.iommus()).hasSize(1);
        assertThat(shrunk.memory()).isEmpty();
        assertThat(ScenarioValidator.validate(shrunk)).isEmpty();
    }

    @Test
    void shrinkerRefusesAPassingScenario() {
        Scenario s = ScenarioGenerator.generate(1, ScenarioGenerator.Options.defaults());
        assertThatThrownBy(() -> ScenarioShrinker.shrink(s, x -> false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not fail");
    }

    @Test
    void writerSpellsEveryFieldAndTheShrinkerWritesAFile(@TempDir Path dir) throws Exception {
        Scenario s = new Scenario(1, "on", "qemu-9.1", "mock", 4096, List.of(new MemoryRange(0x1000000, 0x200000)),
                List.of(new io.github.iommufd4j.simulator.scenario.IommuDef("iommu0", "default", true, false)),
                List.of(io.github.iommufd4j.simulator.scenario.DeviceDef.withDefaults("vf 0", "iommu0")),
                List.of(new Step.Attach("vf 0"), new Step.StartDirtyTracking(), new Step.Dma("vf 0", 0x1000000, 0x2000),
                        new Step.Sync(0x1000000L, 0x1000L), new Step.Fault(BackendOp.ATTACH, Errno.EBUSY, 2)));
        String yaml = ScenarioWriter.toYaml(s);
        assertThat(yaml).contains("name: \"on\"\n", "profile: qemu-9.1\n", "backend: mock\n",
                "  - iova: 0x1000000\n    length: 0x200000\n",
                "  - id: iommu0\n    family: default\n    dirtyTracking: true\n    nestParent: false\n",
                "  - name: vf 0\n    iommu: iommu0\n    mdev: false\n    vfDirtyTracking: false\n    migration: true\n"
                        + "    p2p: true\n    enableMigration: auto\n    deviceDirtyPageTracking: \"on\"\n    viommu: false\n",
                "  - attach: vf 0\n", "  - startDirtyTracking: {}\n",
                "  - dma:\n      device: vf 0\n      iova: 0x1000000\n      length: 0x2000\n",
                "  - sync:\n      iova: 0x1000000\n      length: 0x1000\n",
                "  - fault:\n      op: ATTACH\n      errno: EBUSY\n      nth: 2\n");
        Path file = ScenarioShrinker.write(s, dir.resolve("sub"));
        assertThat(file.getFileName().toString()).isEqualTo("on.yaml");
        assertThat(Files.readString(file)).isEqualTo(yaml);
    }

    private static boolean attachThenDetach(Scenario s, String device) {
        boolean attached = false;
        for (Step st : s.steps()) {
            if (st.equals(new Step.Attach(device))) {
                attached = true;
            } else if (attached && st.equals(new Step.Detach(device))) {
                return true;
            }
        }
        return false;
    }

    private static List<Step> concat(List<Step> a, List<Step> b) {
        List<Step> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
