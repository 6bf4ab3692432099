package io.github.iommufd4j.qemulab;

import io.github.iommufd4j.api.IommuSpec;
import org.junit.jupiter.api.Assumptions;

import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/** Test support: the installed lab or a skip (a failure with {@code -Dqemulab.required=true}), and common devices. */
final class Lab {
    /** An IOMMU with dirty tracking. */
    static final IommuSpec DIRTY = LabDevice.labIommu("iommu-dirty", "default", true);
    /** An IOMMU without dirty tracking, of the same family (so HWPTs can be shared one way). */
    static final IommuSpec PLAIN = LabDevice.labIommu("iommu-plain", "default", false);

    private Lab() {
    }

    /** The installation; skips the calling test (or class, from {@code @BeforeAll}) when there is none. */
    static QemuInstallation installation() {
        QemuInstallation.Availability a = QemuInstallation.detect();
        if (a.installation().isEmpty()) {
            if (Boolean.getBoolean("qemulab.required")) {
                fail("qemulab.required=true but the lab cannot run: " + a.reason());
            }
            Assumptions.assumeTrue(false, "skipped, the lab cannot run here: " + a.reason());
        }
        return a.installation().get();
    }

    static LabSession start(LabConfig config) {
        return LabSession.start(installation(), config);
    }

    static LabSession start(List<LabDevice> devices, String... coldPlugged) {
        return start(LabConfig.of(devices).coldPlug(coldPlugged));
    }

    /** Prints a block of the log, for the record of what QEMU did (the README's facts come from these). */
    static void print(String title, List<LabEntry> entries) {
        System.out.println("=== " + title);
        System.out.print(LabLog.render(entries));
    }
}
