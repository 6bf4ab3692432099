package com.example.acme;

import com.google.auto.service.AutoService;
import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.backend.mock.MockBackendProvider;
import java.util.Objects;

/**
 * The {@code acme} backend, found by {@link java.util.ServiceLoader} through {@code @AutoService}.
 *
 * <p>Options: {@value #BROKEN_OPTION}{@code =true} breaks the backend on purpose (see {@link AcmeBackend}), to see
 * what a TCK failure looks like. Any other key is refused, as the SPI asks.
 */
@AutoService(IommufdBackendProvider.class)
public final class AcmeBackendProvider implements IommufdBackendProvider {
    /** The name on command lines and in reports. */
    public static final String NAME = "acme";
    /** The option that breaks the backend on purpose. */
    public static final String BROKEN_OPTION = "deliberately-broken";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "acme: the in-memory mock, decorated";
    }

    @Override
    public Availability availability() {
        // A real backend checks here what it needs (a device node, a kernel feature) and says what to do if missing.
        return Availability.yes();
    }

    @Override
    public IommufdBackend open(BackendOptions options) {
        Objects.requireNonNull(options, "options");
        for (String key : options.asMap().keySet()) {
            if (!key.equals(BROKEN_OPTION)) {
                throw new IllegalArgumentException("backend '" + NAME + "' has no option '" + key + "'; known options: "
                        + BROKEN_OPTION);
            }
        }
        String broken = options.get(BROKEN_OPTION, "false");
        if (!broken.equals("true") && !broken.equals("false")) {
            throw new IllegalArgumentException("backend '" + NAME + "': " + BROKEN_OPTION + "=" + broken
                    + " is neither true nor false");
        }
        return new AcmeBackend(new MockBackendProvider().open(BackendOptions.empty()), broken.equals("true"));
    }
}
