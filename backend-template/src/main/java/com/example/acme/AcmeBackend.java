package com.example.acme;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.ForwardingIommufdBackend;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;

/**
 * The {@code acme} backend. It starts as a decorator: every call and ability goes to the in-memory mock through
 * {@link ForwardingIommufdBackend}, so the TCK passes from the first build. Override the calls you implement
 * yourself (or change what the delegate answers), and run the TCK after each step: it names the rule a change
 * breaks, the call, what the kernel would have answered and what came instead.
 */
public final class AcmeBackend extends ForwardingIommufdBackend {
    private final boolean deliberatelyBroken;

    /**
     * A backend over {@code delegate}.
     *
     * @param delegate           where the calls go
     * @param deliberatelyBroken whether an incompatible ATTACH answers EBUSY instead of the kernel's EINVAL
     */
    public AcmeBackend(IommufdBackend delegate, boolean deliberatelyBroken) {
        super(delegate);
        this.deliberatelyBroken = deliberatelyBroken;
    }

    @Override
    public String providerName() {
        return AcmeBackendProvider.NAME;
    }

    /**
     * ATTACH, as the delegate answers it; deliberately broken, a device refused by an incompatible HWPT gets EBUSY
     * where the kernel says EINVAL (rule K-ATT-2), the mistake QEMU cannot recover from: it reads only EINVAL as
     * "try the next HWPT".
     */
    @Override
    public int attach(int devId, int ptId) {
        try {
            return super.attach(devId, ptId);
        } catch (IommufdException e) {
            if (deliberatelyBroken && e.errno() == Errno.EINVAL) {
                throw new IommufdException(BackendOp.ATTACH, e.arguments(), Errno.EBUSY);
            }
            throw e;
        }
    }
}
