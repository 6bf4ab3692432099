package io.github.iommufd4j.simulator.io;

import java.util.List;

/**
 * A scenario file that cannot be run: unreadable, malformed, or breaking a rule of {@code docs/reference/scenario-format.md}.
 * Each problem is one line {@code <file>:<line>:<column>: <keypath>: <what is wrong>; expected <what>}; the
 * command prints them on stderr and exits with status 2.
 */
public final class ScenarioException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final List<String> problems;

    /** One problem, already formatted. */
    public ScenarioException(String problem) {
        this(List.of(problem));
    }

    /** Several problems, already formatted, in file order. */
    public ScenarioException(List<String> problems) {
        super(String.join("\n", problems), null, false, false);
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ScenarioException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** The problems, one formatted line each. */
    public List<String> problems() {
        return problems;
    }
}
