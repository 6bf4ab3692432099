package io.github.iommufd4j.tck;

import io.github.iommufd4j.api.IommufdBackend;

/**
 * What a backend writer supplies to {@link IommufdBackendVerification}: fresh backends and devices with the
 * properties a rule needs. {@link ProvisioningFixture} derives one from any provider whose backends have
 * {@code DeviceProvisioning}; a backend without it (real VFIO devices) implements this interface and names the
 * devices the machine has.
 */
public interface TckFixture {

    /**
     * Opens a fresh backend: no objects, no bound devices. Called once per rule; the TCK closes it.
     *
     * @return the backend
     * @throws org.opentest4j.TestAbortedException (through {@code Assumptions.abort}) when the backend cannot run
     *                                             here: every rule is then skipped with that reason
     */
    IommufdBackend open();

    /**
     * Makes (or names) a device of {@code kind} on {@code backend}, not yet bound, or says why it cannot.
     * Within one backend the TCK asks for each name once, and for {@link DeviceKind#OTHER_FAMILY} only after a
     * {@link DeviceKind#DIRTY_CAPABLE} device.
     *
     * @param backend a backend this fixture opened
     * @param kind    the properties the rule needs
     * @param name    a name unique within the backend ({@code "a"}, {@code "b"}, ...), usable as a device name
     * @return the device's reference, or the reason there is none
     */
    DeviceOffer device(IommufdBackend backend, DeviceKind kind, String name);
}
