package io.github.iommufd4j.qemulab;

import io.github.iommufd4j.api.IommuSpec;
import org.junit.jupiter.api.Assumptions;

import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/** Test support: the installed lab or a skip (a failure with {@code -Dqemulab.required=true}), and common devices. */
final class Lab {
    /** An IOMMU with dirty tracking. */
    static final IommuSpec DIRTY = IommuSpec.of("iommu-dirty", "default", true, true);
    /** An IOMMU without dirty tracking, of the same family (so HWPTs can be shared one way). */
    static final IommuSpec PLAIN = IommuSpec.of("iommu-plain", "default", false, true);

    private static boolean toldWhy;
    /** Held so the logging configuration keeps it (it holds loggers weakly). */
    private static final java.util.logging.Logger CORE_LOG = java.util.logging.Logger.getLogger("io.github.iommufd4j.core");

    private Lab() {
    }

    /**
     * The installation; skips the calling test (or class, from {@code @BeforeAll}) when there is none, or when
     * {@code -Dqemulab.skip=true} (the root build in CI, where {@code qemu-lab/run} runs the lab in its own phase).
     */
    static QemuInstallation installation() {
        if (Boolean.getBoolean("qemulab.skip")) {
            if (!toldWhy) {
                toldWhy = true;
                System.err.println("[qemu-lab] skipping the lab tests: -Dqemulab.skip=true (qemu-lab/run runs them)");
            }
            Assumptions.assumeTrue(false, "skipped: -Dqemulab.skip=true (qemu-lab/run runs the lab)");
        }
        QemuInstallation.Availability a = QemuInstallation.detect();
        if (a.installation().isEmpty()) {
            if (Boolean.getBoolean("qemulab.required")) {
                fail("qemulab.required=true but the lab cannot run: " + a.reason());
            }
            if (!toldWhy) {
                toldWhy = true;
                System.err.println("[qemu-lab] skipping the lab tests: " + a.reason()
                        + " (run qemu-lab/run, or pass -Dqemulab.required=true to fail instead)");
            }
            Assumptions.assumeTrue(false, "skipped, the lab cannot run here: " + a.reason());
        }
        return a.installation().get();
    }

    /**
     * Silences core's log of warnings and errors (every diagnostic of every scenario would fill the output); they are
     * in the reports compared.
     */
    static void quietCore() {
        CORE_LOG.setLevel(java.util.logging.Level.OFF);
    }

    static LabSession start(LabConfig config) {
        return LabSession.start(installation(), config);
    }

    static LabSession start(List<LabDevice> devices, String... coldPlugged) {
        return start(LabConfig.of(devices).coldPlug(coldPlugged));
    }

    /** The backend calls among {@code entries}, each as {@code "ATTACH(devId 1, ptId 3) = ok"}. */
    static List<String> calls(List<LabEntry> entries) {
        return LabLog.backendCalls(entries).stream().map(LabEntry::toString).toList();
    }

    /** The ops of the kernel's own answers among {@code entries}, config space accesses left out. */
    static List<String> kernelOps(List<LabEntry> entries) {
        return LabLog.ofKind(entries, LabEntry.Kind.KERNEL).stream().map(LabEntry::op)
                .filter(op -> !op.startsWith("CONFIG_") && !op.equals("HELLO")).toList();
    }

    /** Backend calls and the device state changes, each as its string, in order. */
    static List<String> callsAndStates(List<LabEntry> entries) {
        return entries.stream().filter(e -> e.kind() == LabEntry.Kind.BACKEND
                || e.is(LabEntry.Kind.KERNEL, "MIG_DEVICE_STATE")).map(LabEntry::toString).toList();
    }

    /** The error entries of a run: unknown calls, protocol errors. */
    static List<LabEntry> errors(LabSession s) {
        return LabLog.ofKind(s.log().entries(), LabEntry.Kind.ERROR);
    }

    /** Prints a block of the log, for the record of what QEMU did (the README's facts come from these). */
    static void print(String title, List<LabEntry> entries) {
        System.out.println("=== " + title);
        System.out.print(LabLog.render(entries));
    }
}
