package io.github.iommufd4j.tck;

import io.github.iommufd4j.api.ForwardingIommufdBackend;
import io.github.iommufd4j.backend.mock.MockBackend;

/** A backend passing every call and ability to a {@link MockBackend}; broken variants override one call. */
abstract class ForwardingBackend extends ForwardingIommufdBackend {
    protected final MockBackend delegate;

    ForwardingBackend(MockBackend delegate) {
        super(delegate);
        this.delegate = delegate;
    }

    @Override
    public String providerName() {
        return "broken-" + delegate.providerName();
    }
}
