package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.api.IommufdBackends;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MockBackendProviderTest {

    @Test
    void serviceLoaderFindsTheMockProvider() {
        IommufdBackendProvider provider = IommufdBackends.provider("mock");
        assertThat(provider).isInstanceOf(MockBackendProvider.class);
        assertThat(provider.availability().available()).isTrue();
    }

    @Test
    void openGivesABackendWithEveryAbility() {
        try (IommufdBackend backend = IommufdBackends.provider("mock").open(BackendOptions.empty())) {
            assertThat(backend.providerName()).isEqualTo("mock");
            assertThat(backend.provisioning()).isPresent();
            assertThat(backend.dmaSimulation()).isPresent();
            assertThat(backend.faultInjection()).isPresent();
            assertThat(backend.inventory()).isPresent();
            assertThat(backend.ioasAlloc()).isEqualTo(1);
        }
    }

    @Test
    void eachOpenIsAFreshBackend() {
        MockBackendProvider provider = new MockBackendProvider();
        try (IommufdBackend a = provider.open(BackendOptions.empty()); IommufdBackend b = provider.open(BackendOptions.empty())) {
            a.ioasAlloc();
            assertThat(b.ioasAlloc()).isEqualTo(1);
        }
    }

    @Test
    void unknownOptionIsRejectedNamingIt() {
        assertThatThrownBy(() -> new MockBackendProvider().open(BackendOptions.of(Map.of("seed", "1"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'seed'")
                .hasMessageContaining("known options: none");
    }
}
