package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.IommuSpec;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The mock's {@link DeviceProvisioning} (the twin of backend-linux's {@code SelftestProvisioning}): any spec can
 * be made; a device's reference is its name; devices naming one IOMMU id must describe it identically. A made
 * device is not bound: {@link MockKernel#bind} binds it. Thread-safe through the kernel's monitor.
 */
final class MockProvisioning implements DeviceProvisioning {
    private final MockKernel kernel;
    private final Map<String, DeviceSpec> created = new LinkedHashMap<>();
    private final Map<String, IommuSpec> iommus = new HashMap<>();

    MockProvisioning(MockKernel kernel) {
        this.kernel = kernel;
    }

    /** The mock can make any device: always empty. */
    @Override
    public Optional<String> cannotCreate(DeviceSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return Optional.empty();
    }

    /**
     * Makes the device; its reference is its name.
     *
     * @throws IllegalArgumentException for a name in use or an IOMMU id already described differently
     */
    @Override
    public String createDevice(DeviceSpec spec) {
        Objects.requireNonNull(spec, "spec");
        synchronized (kernel) {
            kernel.ensureOpen();
            if (created.containsKey(spec.name())) {
                throw new IllegalArgumentException("a device named '" + spec.name() + "' already exists");
            }
            IommuSpec known = iommus.get(spec.iommu().id());
            if (known != null && !known.equals(spec.iommu())) {
                throw new IllegalArgumentException("device " + spec.name() + ": IOMMU '" + spec.iommu().id()
                        + "' is already described as " + known + ", not " + spec.iommu());
            }
            iommus.put(spec.iommu().id(), spec.iommu());
            created.put(spec.name(), spec);
            return spec.name();
        }
    }

    /** The spec made under {@code ref}, or null. Called under the kernel's monitor. */
    DeviceSpec spec(String ref) {
        return created.get(ref);
    }

    /** The references of every device made, in the order they were made. Called under the kernel's monitor. */
    List<String> refs() {
        return List.copyOf(created.keySet());
    }

    void clear() {
        created.clear();
        iommus.clear();
    }
}
