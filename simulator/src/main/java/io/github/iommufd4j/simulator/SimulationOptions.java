package io.github.iommufd4j.simulator;

import io.github.iommufd4j.api.BackendOptions;

/**
 * Choices the caller makes over the scenario's own.
 *
 * @param backend        a backend provider name, or null for the scenario's (default {@code mock})
 * @param profile        a profile name, or null for the scenario's (default {@code qemu-9.1})
 * @param backendOptions options for opening the backend ({@code source=selftest} for {@code linux}); null: none
 */
public record SimulationOptions(String backend, String profile, BackendOptions backendOptions) {
    public SimulationOptions {
        backendOptions = backendOptions == null ? BackendOptions.empty() : backendOptions;
    }

    /** Backend and profile choices without backend options. */
    public SimulationOptions(String backend, String profile) {
        this(backend, profile, BackendOptions.empty());
    }

    /** The scenario's own choices. */
    public static SimulationOptions defaults() {
        return new SimulationOptions(null, null);
    }
}
