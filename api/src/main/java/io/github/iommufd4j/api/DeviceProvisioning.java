package io.github.iommufd4j.api;

import java.util.Optional;

/** A backend ability: making devices behind IOMMUs described by a spec (the mock; the kernel's selftest devices). */
public interface DeviceProvisioning {

    /**
     * An IOMMU instance as this backend can make devices behind it: the given identity and capabilities with the
     * backend's geometry (aperture, IOPTE size). Callers that describe IOMMUs without a geometry (scenario files,
     * the TCK) ask here. The default is {@link IommuSpec#of}: the whole 64-bit space with host-page IOPTEs.
     */
    default IommuSpec iommu(String id, String family, boolean dirtyTracking, boolean nestParent) {
        return IommuSpec.of(id, family, dirtyTracking, nestParent);
    }

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
