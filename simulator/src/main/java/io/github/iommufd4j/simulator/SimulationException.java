package io.github.iommufd4j.simulator;

/** A scenario cannot be run as asked (unknown backend or profile, a device the backend cannot make). */
public class SimulationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SimulationException(String message) {
        super(message);
    }

    public SimulationException(String message, Throwable cause) {
        super(message, cause);
    }
}
