package io.github.iommufd4j.cli;

import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.api.IommufdBackends;
import io.github.iommufd4j.simulator.io.ParsedScenario;
import io.github.iommufd4j.simulator.io.ScenarioException;
import io.github.iommufd4j.simulator.io.ScenarioParser;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.ScenarioProblem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Scenario files as the commands read them: every problem of every file reported together. */
final class ScenarioFiles {
    private ScenarioFiles() {
    }

    /**
     * Parses every file. A scenario's own {@code backend} must be one on the class path unless
     * {@code backendOverride} (a {@code --backend}) replaces it.
     *
     * @throws ScenarioException with the problems of all files, in file order
     */
    static List<ParsedScenario> readAll(List<Path> files, String backendOverride) {
        ScenarioParser parser = new ScenarioParser();
        List<ParsedScenario> parsed = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            try {
                parsed.add(parser.parse(file, s -> unknownBackend(s, backendOverride)));
            } catch (ScenarioException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new ScenarioException(problems);
        }
        return parsed;
    }

    private static List<ScenarioProblem> unknownBackend(Scenario scenario, String backendOverride) {
        String named = scenario.backend();
        if (backendOverride != null || named == null
                || IommufdBackends.providers().stream().anyMatch(p -> p.name().equals(named))) {
            return List.of();
        }
        return List.of(new ScenarioProblem("backend", "unknown backend '" + named + "'; expected one of "
                + providerNames()));
    }

    /** The backends on the class path, for messages. */
    static String providerNames() {
        String names = IommufdBackends.providers().stream().map(IommufdBackendProvider::name)
                .collect(Collectors.joining(", "));
        return names.isEmpty() ? "none (no backend on the class path)" : names;
    }
}
