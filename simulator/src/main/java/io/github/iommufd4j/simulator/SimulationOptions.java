package io.github.iommufd4j.simulator;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.core.Profile;

/**
 * Choices the caller makes over the scenario's own.
 *
 * @param backend         a backend provider name, or null for the scenario's (default {@code mock})
 * @param profile         a profile name, or null for the scenario's (default {@code qemu-9.1})
 * @param backendOptions  options for opening the backend ({@code source=selftest} for {@code linux}); null: none
 * @param composedProfile a profile composed in code ({@link Profile#builder}), run instead of any named one; null:
 *                        none
 */
public record SimulationOptions(String backend, String profile, BackendOptions backendOptions, Profile composedProfile) {
    public SimulationOptions {
        backendOptions = backendOptions == null ? BackendOptions.empty() : backendOptions;
        if (composedProfile != null && profile != null) {
            throw new IllegalArgumentException("choose a profile by name ('" + profile + "') or a composed one ("
                    + composedProfile.name() + "), not both");
        }
    }

    /** Backend, profile name and backend options. */
    public SimulationOptions(String backend, String profile, BackendOptions backendOptions) {
        this(backend, profile, backendOptions, null);
    }

    /** Backend and profile choices without backend options. */
    public SimulationOptions(String backend, String profile) {
        this(backend, profile, BackendOptions.empty());
    }

    /** The scenario's own choices. */
    public static SimulationOptions defaults() {
        return new SimulationOptions(null, null);
    }

    /** The scenario's backend, with {@code profile} (a named or a composed one) whatever the scenario says. */
    public static SimulationOptions of(Profile profile) {
        return new SimulationOptions(null, null, BackendOptions.empty(), profile);
    }
}
