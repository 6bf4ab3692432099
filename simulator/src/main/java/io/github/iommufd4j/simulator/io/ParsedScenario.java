package io.github.iommufd4j.simulator.io;

import io.github.iommufd4j.simulator.scenario.Scenario;

/**
 * A scenario read from a file, with where each of its values was written, so later checks (an unknown
 * backend, say) can point at the line.
 */
public final class ParsedScenario {
    private final String file;
    private final Scenario scenario;
    private final FilePositions positions;

    ParsedScenario(String file, Scenario scenario, FilePositions positions) {
        this.file = file;
        this.scenario = scenario;
        this.positions = positions;
    }

    /** The file as named by the user. */
    public String file() {
        return file;
    }

    /** The scenario. */
    public Scenario scenario() {
        return scenario;
    }

    /**
     * An error about the value at {@code path}, formatted as {@code file:line:column: path: message}; the
     * position is that of the nearest enclosing value written in the file.
     */
    public ScenarioException error(String path, String message) {
        return new ScenarioException(new Problem(positions.valueAt(path), path, message).format(file));
    }
}
