package io.github.iommufd4j.simulator.scenario;

/**
 * A value no scenario can mean, rejected by a scenario record's constructor. {@link #problem()} names the
 * offending key relative to the record ({@code length} of a memory range, empty for a step whose value is the
 * key itself, such as the device of {@code attach}), so a reader can point at the key in the file.
 */
public final class ScenarioValueException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final transient ScenarioProblem problem;

    ScenarioValueException(String key, String message) {
        super(key.isEmpty() ? message : key + ": " + message);
        this.problem = new ScenarioProblem(key, message);
    }

    /** The problem, its path relative to the record that rejected it. */
    public ScenarioProblem problem() {
        return problem;
    }
}
