package io.github.iommufd4j.simulator.io;

import io.github.iommufd4j.simulator.scenario.Scenario;
import java.util.Map;

/**
 * A scenario read from a file, with where each of its values was written so later checks (an unknown
 * backend, say) can point at the line.
 *
 * @param file      the file as named by the user
 * @param scenario  the scenario
 * @param positions key path ({@code devices[2].iommu}) to {@code line:column} of its value
 */
public record ParsedScenario(String file, Scenario scenario, Map<String, String> positions) {
    public ParsedScenario {
        positions = Map.copyOf(positions);
    }

    /**
     * An error about the value at {@code path}, formatted as {@code file:line:column: path: message}; the
     * position is that of the nearest enclosing value written in the file.
     */
    public ScenarioException error(String path, String message) {
        return new ScenarioException(format(path, message));
    }

    String format(String path, String message) {
        return file + ":" + position(path) + ": " + path + ": " + message;
    }

    private String position(String path) {
        String p = path;
        while (!p.isEmpty()) {
            String at = positions.get(p);
            if (at != null) {
                return at;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            p = cut < 0 ? "" : p.substring(0, cut);
        }
        return "1:1";
    }
}
