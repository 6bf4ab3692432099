package io.github.iommufd4j.core.sim;

/**
 * Choices the caller makes over the scenario's own.
 *
 * @param backend a backend provider name, or null for the scenario's (default {@code mock})
 * @param profile a profile name, or null for the scenario's (default {@code qemu-9.1})
 */
public record SimulationOptions(String backend, String profile) {
    /** The scenario's own choices. */
    public static SimulationOptions defaults() {
        return new SimulationOptions(null, null);
    }
}
