package io.github.iommufd4j.tck;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackendProvider;
import java.util.Objects;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * A {@link TckFixture} over any provider whose backends have {@link DeviceProvisioning}: each kind of device is a
 * {@link DeviceSpec} the backend is asked to make; what it cannot make ({@link DeviceProvisioning#cannotCreate})
 * becomes the skip reason. IOMMUs use the kernel selftest mock's aperture and IOPTE size
 * ({@link IommuSpec#of}), so the same specs suit the mock and a kernel with {@code CONFIG_IOMMUFD_TEST}.
 */
public final class ProvisioningFixture implements TckFixture {
    /** The IOMMU of {@link DeviceKind#DIRTY_CAPABLE} devices. */
    public static final IommuSpec DIRTY_IOMMU = IommuSpec.of("tck-iommu-dirty", "tck-family", true, true);
    /** The IOMMU of {@link DeviceKind#NOT_DIRTY_CAPABLE}, {@link DeviceKind#MDEV} and VF-tracking devices. */
    public static final IommuSpec PLAIN_IOMMU = IommuSpec.of("tck-iommu-plain", "tck-family", false, true);
    /** The IOMMU of {@link DeviceKind#OTHER_FAMILY} devices. */
    public static final IommuSpec OTHER_FAMILY_IOMMU = IommuSpec.of("tck-iommu-other", "tck-other-family", true, true);

    private final IommufdBackendProvider provider;
    private final BackendOptions options;

    /**
     * A fixture opening {@code provider} with {@code options}.
     *
     * @param provider the backend's provider
     * @param options  the options every backend is opened with
     */
    public ProvisioningFixture(IommufdBackendProvider provider, BackendOptions options) {
        this.provider = Objects.requireNonNull(provider, "provider");
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * The spec this fixture asks the backend to make for a device kind.
     *
     * @param kind the kind of device
     * @param name the device's name
     * @return the spec, on {@link #DIRTY_IOMMU}, {@link #PLAIN_IOMMU} or {@link #OTHER_FAMILY_IOMMU}
     */
    public static DeviceSpec spec(DeviceKind kind, String name) {
        return switch (kind) {
            case DIRTY_CAPABLE -> DeviceSpec.plain(name, DIRTY_IOMMU);
            case NOT_DIRTY_CAPABLE -> DeviceSpec.plain(name, PLAIN_IOMMU);
            case OTHER_FAMILY -> DeviceSpec.plain(name, OTHER_FAMILY_IOMMU);
            case MDEV -> new DeviceSpec(name, PLAIN_IOMMU, true, false, true, true);
            case VF_DIRTY_TRACKING -> new DeviceSpec(name, PLAIN_IOMMU, false, true, true, true);
        };
    }

    /** Opens the provider; aborts (every rule skipped) with the provider's reason when it is unavailable here. */
    @Override
    public IommufdBackend open() {
        var availability = provider.availability();
        if (!availability.available()) {
            Assumptions.abort("backend '" + provider.name() + "' is unavailable here: " + availability.reason());
        }
        return provider.open(options);
    }

    @Override
    public DeviceOffer device(IommufdBackend backend, DeviceKind kind, String name) {
        Optional<DeviceProvisioning> provisioning = backend.provisioning();
        if (provisioning.isEmpty()) {
            return DeviceOffer.unavailable("backend '" + provider.name() + "' has no DeviceProvisioning: give the TCK a"
                    + " TckFixture that names the devices of this machine");
        }
        DeviceSpec spec = spec(kind, name);
        Optional<String> why = provisioning.get().cannotCreate(spec);
        if (why.isPresent()) {
            return DeviceOffer.unavailable("backend '" + provider.name() + "' cannot make a " + kind + " device: " + why.get());
        }
        return DeviceOffer.made(provisioning.get().createDevice(spec));
    }

    @Override
    public String toString() {
        return "ProvisioningFixture[" + provider.name() + ", " + options + "]";
    }
}
