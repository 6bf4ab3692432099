package com.example.acme;

import io.github.iommufd4j.tck.IommufdBackendVerification;
import io.github.iommufd4j.tck.ProvisioningFixture;
import io.github.iommufd4j.tck.ServiceLoaderBackendTck;
import io.github.iommufd4j.tck.TckFixture;

/**
 * Way 1: the TCK by extending its verification class. The backend's devices come from its DeviceProvisioning
 * (the mock's); a backend on real hardware returns a TckFixture of its own that names the machine's devices.
 * Options come from -Diommufd4j.backend.options, as for way 2.
 */
class AcmeBackendTckTest extends IommufdBackendVerification {
    @Override
    protected TckFixture fixture() {
        return new ProvisioningFixture(new AcmeBackendProvider(),
                ServiceLoaderBackendTck.parseOptions(System.getProperty(ServiceLoaderBackendTck.OPTIONS_PROPERTY)));
    }
}
