package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.backend.linux.sys.MockKernelIoctls;

import java.nio.file.Path;
import java.util.Map;

/**
 * The {@code linux} backend with {@code source=selftest}, opened over {@link MockKernelIoctls}: backend-linux's
 * own code (struct encoding, device source, bookkeeping, buffers, rollback) on a kernel played by backend-mock.
 * For tests of other modules that want a second backend implementation without a kernel (from this module's
 * test jar).
 */
public final class SelftestOnMockKernel {
    private SelftestOnMockKernel() {
    }

    /** The backend over {@code sys}, which stays the caller's to inspect. */
    public static IommufdBackend open(MockKernelIoctls sys) {
        LinuxHost host = new LinuxHost(() -> sys, "/dev/iommu", Path.of("/nonexistent-sys"), Path.of("/nonexistent-dev"));
        return new LinuxBackendProvider(host).open(BackendOptions.of(Map.of("source", "selftest")));
    }
}
