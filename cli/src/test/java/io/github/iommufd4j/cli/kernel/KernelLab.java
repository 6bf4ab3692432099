package io.github.iommufd4j.cli.kernel;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackends;
import java.util.Map;

/**
 * The gate of the kernel tests in this package: they need the {@code linux} backend with the kernel's iommufd
 * selftest mock ({@code source=selftest}). On a host without it they skip; inside the kernel lab's guest
 * ({@code -Dkernellab.guest=true}) a missing kernel is a failure instead.
 */
final class KernelLab {
    /** The options that make the linux backend create devices through the selftest mock. */
    static final BackendOptions SELFTEST = BackendOptions.of(Map.of("source", "selftest"));

    private KernelLab() {
    }

    /** Skips (on a plain host) or fails (in the lab's guest) when the linux backend cannot run here. */
    static void assumeSelftestKernel() {
        if (Boolean.getBoolean("kernellab.guest")) {
            return;   // open() will then throw with the reason, failing the test
        }
        Availability a = IommufdBackends.provider("linux").availability();
        assumeTrue(a.available(), () -> "linux backend unavailable here (run kernel-lab/run --boot 1): " + a.reason());
    }

    /** A fresh linux backend on the selftest mock. */
    static IommufdBackend openLinux() {
        return IommufdBackends.provider("linux").open(SELFTEST);
    }
}
