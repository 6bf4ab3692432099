package io.github.iommufd4j.api;

import java.util.Optional;

/** A backend ability: making devices behind IOMMUs described by a spec (the mock; the kernel's selftest devices). */
public interface DeviceProvisioning {

    /**
     * An IOMMU instance as this backend can make devices behind it: the given identity and capabilities with the
     * backend's geometry (aperture, IOPTE size). Callers that describe IOMMUs without a geometry (scenario files,
     * the TCK) ask here. The default is {@link IommuSpec#of}: the whole 64-bit space with host-page IOPTEs.
     *
     * @param id            unique name of the instance
     * @param family        its family
     * @param dirtyTracking reports dirty tracking
     * @param nestParent    accepts NEST_PARENT
     * @return the spec, with this backend's geometry
     */
    default IommuSpec iommu(String id, String family, boolean dirtyTracking, boolean nestParent) {
        return IommuSpec.of(id, family, dirtyTracking, nestParent);
    }

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
