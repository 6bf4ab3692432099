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
    /** The mdev type of the kernel's sample driver mtty that boot 1 builds in (one serial port per mdev). */
    static final String MDEV_TYPE = "mtty-1";

    /**
     * The options that make the linux backend create devices through the selftest mock, and mdevs through mtty
     * ({@code mdev=mtty-1}).
     */
    static final BackendOptions SELFTEST = BackendOptions.of(Map.of("source", "selftest", "mdev", MDEV_TYPE));

    /**
     * {@link #SELFTEST} with the selftest devices' VF dirty tracking declared ({@code vfLogging=declared}): the
     * differential's options, which leaves out every example where core calls DMA logging.
     */
    static final BackendOptions DIFFERENTIAL = BackendOptions.of(Map.of("source", "selftest", "mdev", MDEV_TYPE,
            "vfLogging", "declared"));

    /** {@link #DIFFERENTIAL} with failures made by the kernel ({@code faults=kernel}). */
    static final BackendOptions KERNEL_FAULTS = BackendOptions.of(Map.of("source", "selftest", "mdev", MDEV_TYPE,
            "vfLogging", "declared", "faults", "kernel"));

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

    /** A fresh linux backend on the selftest mock, with mtty mdevs. */
    static IommufdBackend openLinux() {
        return openLinux(SELFTEST);
    }

    /** A fresh linux backend with {@code options}. */
    static IommufdBackend openLinux(BackendOptions options) {
        return IommufdBackends.provider("linux").open(options);
    }
}
