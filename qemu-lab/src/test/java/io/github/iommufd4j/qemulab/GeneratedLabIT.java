package io.github.iommufd4j.qemulab;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.qemulab.compare.LabComparison;
import io.github.iommufd4j.simulator.io.ScenarioWriter;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import io.github.iommufd4j.testkit.ScenarioShrinker;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded generated scenarios the lab can run ({@link ScenarioGenerator.Options#qemuLab()}), core's {@code qemu-10.0}
 * against the real QEMU 10.0.2; all must agree. {@code -Dqemulab.generated=N} (200 by default) sets the count and
 * {@code -Dqemulab.seed=S} the first seed. The first scenario that differs is shrunk (each try is a QEMU run) and
 * written to {@code target/qemu-lab/generated/} to be replayed.
 */
class GeneratedLabIT {
    private static final int COUNT = Integer.getInteger("qemulab.generated", 200);
    private static final long SEED = Long.getLong("qemulab.seed", 0x1ab00000L);

    @Test
    @Timeout(value = 4, unit = TimeUnit.HOURS) // the count is a property: about 0.4 s a scenario, a shrink on failure
    void generatedScenariosAgreeWithQemu() throws IOException {
        QemuInstallation installation = Lab.installation();
        Lab.quietCore();
        LabComparison lab = new LabComparison(installation, ExamplesLabIT.out().resolve("generated-reports"));
        List<LabComparison.Outcome> outcomes = new ArrayList<>();
        Scenario firstDiffering = null;
        for (int i = 0; i < COUNT; i++) {
            Scenario s = ScenarioGenerator.generate(SEED + i, ScenarioGenerator.Options.qemuLab());
            LabComparison.Outcome o = lab.compare(s.name(), s);
            outcomes.add(o);
            if (o.verdict() == LabComparison.Verdict.DIFFERS && firstDiffering == null) {
                firstDiffering = s;
            }
        }
        String summary = LabComparison.summary(String.format("core (qemu-10.0) vs QEMU 10.0.2, %d generated scenarios"
                + " from seed 0x%x:", COUNT, SEED), outcomes);
        System.out.print(summary);
        Files.createDirectories(ExamplesLabIT.out());
        Files.writeString(ExamplesLabIT.out().resolve("generated.txt"), summary);
        if (firstDiffering != null) {
            Scenario shrunk = ScenarioShrinker.shrink(firstDiffering,
                    s -> lab.compare(s.name(), s).verdict() == LabComparison.Verdict.DIFFERS);
            var file = ScenarioShrinker.write(shrunk, ExamplesLabIT.out().resolve("generated"));
            System.out.println("the first differing scenario, shrunk, is " + file + ":\n" + ScenarioWriter.toYaml(shrunk)
                    + String.join("\n", lab.compare(shrunk.name(), shrunk).differences()));
        }
        assertThat(outcomes).as("generated scenarios").hasSize(COUNT)
                .allMatch(o -> o.verdict() != LabComparison.Verdict.OUT_OF_REACH);
        assertThat(outcomes).as(summary).allMatch(o -> o.verdict() == LabComparison.Verdict.AGREES);
    }
}
