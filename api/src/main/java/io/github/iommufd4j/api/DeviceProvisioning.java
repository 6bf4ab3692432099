package io.github.iommufd4j.api;

import java.util.Optional;

/** A backend ability: making devices behind IOMMUs described by a spec (the mock; the kernel's selftest devices). */
public interface DeviceProvisioning {

    /**
     * Whether this backend can make a device.
     *
     * @param spec the device
     * @return why this backend cannot make it (a property it cannot honour), or empty if it can
     */
    Optional<String> cannotCreate(DeviceSpec spec);

    /**
     * Makes a device.
     *
     * @param spec the device
     * @return the reference to give to {@link IommufdBackend#bind}
     * @throws UnsupportedOperationException with the reason of {@link #cannotCreate} when it cannot
     * @throws IllegalArgumentException      for a name already in use
     */
    String createDevice(DeviceSpec spec);
}
