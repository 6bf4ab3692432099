package io.github.iommufd4j.qemulab;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.qemulab.compare.LabComparison;
import io.github.iommufd4j.simulator.io.ScenarioParser;
import io.github.iommufd4j.simulator.scenario.Scenario;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every shipped example ({@code examples/*.yaml|json}) in the lab's reach, and the lab's own scenarios
 * ({@code qemu-lab/scenarios/}: what the shipped examples cannot hold, such as a leak), core's {@code qemu-10.0}
 * against the real QEMU 10.0.2: one line per scenario (agrees, differs, out of reach with the reason), then the
 * differences. Every scenario in reach must agree.
 */
class ExamplesLabIT {

    static Path examples() {
        return Paths.get(System.getProperty("qemulab.examples", "../examples")).toAbsolutePath().normalize();
    }

    static Path labScenarios() {
        return Paths.get(System.getProperty("qemulab.scenarios", "scenarios")).toAbsolutePath().normalize();
    }

    static Path out() {
        return Paths.get(System.getProperty("qemulab.out", "target/qemu-lab"));
    }

    @Test
    void everyExampleInReachAgreesWithQemu() throws IOException {
        QemuInstallation installation = Lab.installation();
        Lab.quietCore();
        List<Path> files = new ArrayList<>(scenarios(examples()));
        assertThat(files).as("examples in %s", examples()).isNotEmpty();
        List<Path> own = scenarios(labScenarios());
        assertThat(own).as("the lab's scenarios in %s", labScenarios()).isNotEmpty();
        files.addAll(own);
        LabComparison lab = new LabComparison(installation, out().resolve("examples"));
        List<LabComparison.Outcome> outcomes = new ArrayList<>();
        for (Path f : files) {
            Scenario s = new ScenarioParser().parse(f).scenario();
            String name = (f.startsWith(labScenarios()) ? "qemu-lab/scenarios/" : "") + f.getFileName();
            outcomes.add(lab.compare(name, s));
        }
        String summary = LabComparison.summary("core (qemu-10.0) vs QEMU 10.0.2, every shipped example and the lab's"
                + " own scenarios:", outcomes);
        System.out.print(summary);
        Files.createDirectories(out());
        Files.writeString(out().resolve("examples.txt"), summary);
        assertThat(outcomes).as("examples compared").anyMatch(o -> o.verdict() == LabComparison.Verdict.AGREES);
        assertThat(outcomes).as(summary).noneMatch(o -> o.verdict() == LabComparison.Verdict.DIFFERS);
    }

    private static List<Path> scenarios(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".json")).sorted().toList();
        }
    }
}
