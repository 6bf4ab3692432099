package io.github.iommufd4j.tck;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.backend.mock.MockBackendProvider;

/** Way 1 of running the TCK, and its worked example: the mock backend, by extending the verification class. */
class MockBackendTckTest extends IommufdBackendVerification {
    @Override
    protected TckFixture fixture() {
        return new ProvisioningFixture(new MockBackendProvider(), BackendOptions.empty());
    }
}
