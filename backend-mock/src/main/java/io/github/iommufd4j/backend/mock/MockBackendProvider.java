package io.github.iommufd4j.backend.mock;

import com.google.auto.service.AutoService;
import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackendProvider;

import java.util.Objects;

/**
 * The {@code mock} backend: an in-memory iommufd that answers like Linux 6.12 errno for errno
 * ({@code docs/reference/kernel-uapi.md}), with device provisioning, DMA simulation, fault injection and an object inventory.
 * Always available; it reads no options and rejects any key given.
 */
@AutoService(IommufdBackendProvider.class)
public final class MockBackendProvider implements IommufdBackendProvider {
    /** The provider name. */
    public static final String NAME = "mock";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "in-memory iommufd answering errno for errno like Linux 6.12, with fault injection";
    }

    @Override
    public Availability availability() {
        return Availability.yes();
    }

    @Override
    public IommufdBackend open(BackendOptions options) {
        Objects.requireNonNull(options, "options");
        for (String key : options.asMap().keySet()) {
            throw new IllegalArgumentException("backend '" + NAME + "' has no option '" + key
                    + "'; known options: none");
        }
        return new MockBackend();
    }
}
