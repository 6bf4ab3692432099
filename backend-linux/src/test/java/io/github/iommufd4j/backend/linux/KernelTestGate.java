package io.github.iommufd4j.backend.linux;

import org.junit.jupiter.api.Assumptions;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Skips a kernel test whose precondition is missing, or fails it when the run demands a kernel
 * ({@code -Diommufd4j.requireKernel=true} or {@code IOMMUFD4J_REQUIRE_KERNEL=true}, as inside the kernel-lab VM,
 * where a silent skip would hide a broken guest).
 */
final class KernelTestGate {
    private KernelTestGate() {
    }

    static boolean kernelRequired() {
        return Boolean.parseBoolean(System.getProperty("iommufd4j.requireKernel", System.getenv("IOMMUFD4J_REQUIRE_KERNEL")));
    }

    static void require(boolean condition, String reason) {
        if (!condition) {
            if (kernelRequired()) {
                fail("kernel test required but cannot run: " + reason);
            }
            Assumptions.assumeTrue(false, reason);
        }
    }
}
