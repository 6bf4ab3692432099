package io.github.iommufd4j.api;

import java.util.Optional;

/** A backend ability: making devices behind IOMMUs described by a spec (the mock; the kernel's selftest devices). */
public interface DeviceProvisioning {

    /** Why this backend cannot make {@code spec} (a property it cannot honour), or empty if it can. */
    Optional<String> cannotCreate(DeviceSpec spec);

    /**
     * Makes the device; returns the reference to give to {@link IommufdBackend#bind}.
     *
     * @throws UnsupportedOperationException with the reason of {@link #cannotCreate} when it cannot
     * @throws IllegalArgumentException      for a name already in use
     */
    String createDevice(DeviceSpec spec);
}
