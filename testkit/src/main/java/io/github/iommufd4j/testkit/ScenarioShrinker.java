package io.github.iommufd4j.testkit;

import io.github.iommufd4j.simulator.io.ScenarioWriter;

import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.ScenarioValidator;
import io.github.iommufd4j.simulator.scenario.Step;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Makes a failing scenario small: removes steps (halves, quarters, ... down to single steps), then devices
 * (with every step naming them), then unused IOMMUs, then memory ranges, greedily, as long as the smaller
 * scenario is valid and the predicate still says it fails. The result is a local minimum: removing any one
 * more step, device, IOMMU or range makes it pass (or invalid).
 */
public final class ScenarioShrinker {
    private ScenarioShrinker() {
    }

    /**
     * The smallest scenario found that still {@code fails}.
     *
     * @param failing a scenario for which {@code fails} is true
     * @param fails   the failure to keep; called many times, so it should be deterministic
     * @throws IllegalArgumentException when {@code fails} is false for {@code failing}
     */
    public static Scenario shrink(Scenario failing, Predicate<Scenario> fails) {
        Objects.requireNonNull(failing, "failing");
        Objects.requireNonNull(fails, "fails");
        if (!fails.test(failing)) {
            throw new IllegalArgumentException("scenario " + failing.name() + " does not fail; nothing to shrink");
        }
        Scenario current = failing;
        boolean progress = true;
        while (progress) {
            progress = false;
            Scenario s = shrinkSteps(current, fails);
            s = shrinkDevices(s, fails);
            s = shrinkIommus(s, fails);
            s = shrinkMemory(s, fails);
            if (!s.equals(current)) {
                current = s;
                progress = true;
            }
        }
        return current;
    }

    /**
     * Writes {@code scenario} as YAML to {@code dir/<name>.yaml} (creating {@code dir}) and returns the path.
     */
    public static Path write(Scenario scenario, Path dir) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(scenario.name().replaceAll("[^A-Za-z0-9_.-]", "_") + ".yaml");
            Files.writeString(file, ScenarioWriter.toYaml(scenario));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the shrunk scenario " + scenario.name() + " under " + dir, e);
        }
    }

    private static boolean stillFails(Scenario candidate, Predicate<Scenario> fails) {
        return ScenarioValidator.validate(candidate).isEmpty() && fails.test(candidate);
    }

    private static Scenario withSteps(Scenario s, List<Step> steps) {
        return new Scenario(s.version(), s.name(), s.profile(), s.backend(), s.pageSize(), s.memory(), s.iommus(),
                s.devices(), steps);
    }

    private static Scenario shrinkSteps(Scenario s, Predicate<Scenario> fails) {
        List<Step> steps = new ArrayList<>(s.steps());
        int chunk = Math.max(1, steps.size() / 2);
        while (chunk >= 1) {
            boolean removed = false;
            for (int from = 0; from < steps.size(); ) {
                int to = Math.min(steps.size(), from + chunk);
                List<Step> candidate = new ArrayList<>(steps.subList(0, from));
                candidate.addAll(steps.subList(to, steps.size()));
                if (stillFails(withSteps(s, candidate), fails)) {
                    steps = candidate;
                    removed = true;
                } else {
                    from += chunk;
                }
            }
            if (!removed) {
                chunk /= 2;
            }
        }
        return withSteps(s, steps);
    }

    private static Scenario shrinkDevices(Scenario s, Predicate<Scenario> fails) {
        Scenario current = s;
        for (DeviceDef d : s.devices()) {
            List<DeviceDef> devices = new ArrayList<>(current.devices());
            devices.remove(d);
            List<Step> steps = current.steps().stream().filter(st -> !names(st, d.name()))
                    .map(st -> withoutWritesOf(st, d.name())).toList();
            Scenario candidate = new Scenario(current.version(), current.name(), current.profile(), current.backend(),
                    current.pageSize(), current.memory(), current.iommus(), devices, steps);
            if (stillFails(candidate, fails)) {
                current = candidate;
            }
        }
        return current;
    }

    /** A migration's writes without those of {@code device}; any other step as it is. */
    private static Step withoutWritesOf(Step step, String device) {
        if (step instanceof Step.Migrate m) {
            return new Step.Migrate(m.dma().stream().filter(w -> !w.device().equals(device)).toList());
        }
        return step;
    }

    private static boolean names(Step step, String device) {
        if (step instanceof Step.Dma dma) {
            return dma.device().equals(device);
        }
        return device.equals(step.target());
    }

    private static Scenario shrinkIommus(Scenario s, Predicate<Scenario> fails) {
        Scenario current = s;
        for (IommuDef i : s.iommus()) {
            if (current.devices().stream().anyMatch(d -> d.iommu().equals(i.id()))) {
                continue;
            }
            List<IommuDef> iommus = new ArrayList<>(current.iommus());
            iommus.remove(i);
            Scenario candidate = new Scenario(current.version(), current.name(), current.profile(), current.backend(),
                    current.pageSize(), current.memory(), iommus, current.devices(), current.steps());
            if (stillFails(candidate, fails)) {
                current = candidate;
            }
        }
        return current;
    }

    private static Scenario shrinkMemory(Scenario s, Predicate<Scenario> fails) {
        Scenario current = s;
        for (MemoryRange m : s.memory()) {
            List<MemoryRange> memory = new ArrayList<>(current.memory());
            memory.remove(m);
            Scenario candidate = new Scenario(current.version(), current.name(), current.profile(), current.backend(),
                    current.pageSize(), memory, current.iommus(), current.devices(), current.steps());
            if (stillFails(candidate, fails)) {
                current = candidate;
            }
        }
        return current;
    }
}
