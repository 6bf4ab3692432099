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
 * becomes the skip reason. The IOMMUs (two of one family, one dirty-capable and one not, and a dirty-capable one
 * of another family) take the backend's own geometry ({@link DeviceProvisioning#iommu}), so the same specs suit the
 * mock and a kernel with {@code CONFIG_IOMMUFD_TEST}.
 */
public final class ProvisioningFixture implements TckFixture {
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
     * The spec this fixture asks a backend's provisioning to make for a device kind, on IOMMUs with the backend's
     * geometry ({@link DeviceProvisioning#iommu}).
     *
     * @param provisioning the backend's ability to make devices
     * @param kind         the kind of device
     * @param name         the device's name
     * @return the spec
     */
    public static DeviceSpec spec(DeviceProvisioning provisioning, DeviceKind kind, String name) {
        IommuSpec dirty = provisioning.iommu("tck-iommu-dirty", "tck-family", true, true);
        IommuSpec plain = provisioning.iommu("tck-iommu-plain", "tck-family", false, true);
        return switch (kind) {
            case DIRTY_CAPABLE -> DeviceSpec.plain(name, dirty);
            case NOT_DIRTY_CAPABLE -> DeviceSpec.plain(name, plain);
            case OTHER_FAMILY -> DeviceSpec.plain(name, provisioning.iommu("tck-iommu-other", "tck-other-family", true, true));
            case MDEV -> new DeviceSpec(name, plain, true, false, true, true);
            case VF_DIRTY_TRACKING -> new DeviceSpec(name, plain, false, true, true, true);
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
        DeviceSpec spec = spec(provisioning.get(), kind, name);
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
