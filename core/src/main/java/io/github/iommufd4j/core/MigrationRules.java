package io.github.iommufd4j.core;

import io.github.iommufd4j.api.DeviceFeatures;
import java.util.ArrayList;
import java.util.List;

/** Section 5 of {@code qemu-rules.md}: QEMU 9.1's {@code vfio_migration_realize}, first matching row wins. */
final class MigrationRules {
    static final String DISABLED = "%s: Migration is disabled for VFIO device";
    static final String NOT_SUPPORTED = "%s: VFIO migration is not supported in kernel";
    static final String NO_DIRTY_TRACKING = "%s: VFIO device doesn't support device and IOMMU dirty tracking";
    static final String MULTIPLE = "Multiple VFIO devices migration is supported only if all of them support P2P migration";
    static final String VIOMMU = "%s: Migration is currently not supported with vIOMMU enabled";

    private MigrationRules() {
    }

    /**
     * @param decision             the row's outcome
     * @param migrationInitialized VFIO migration was set up for the device (it counts as migratable for Q-MIG-4)
     * @param warnings             warnings printed on the way (Q-MIG-3 with enable-migration=on)
     */
    record Outcome(MigrationDecision decision, boolean migrationInitialized, List<String> warnings) {
    }

    /**
     * Decides for {@code dev}, which {@code migratable} does not count yet (QEMU's global device list without it).
     */
    static Outcome decide(VfioDevice dev, MigratableDevices migratable) {
        String name = dev.name();
        OnOffAuto e = dev.config.enableMigration();
        DeviceFeatures f = dev.bound.features();
        List<String> warnings = new ArrayList<>();
        if (e == OnOffAuto.OFF) {
            return new Outcome(block("Q-MIG-1", String.format(DISABLED, name), false), false, warnings);
        }
        if (!f.migration()) {
            return new Outcome(block("Q-MIG-2", String.format(NOT_SUPPORTED, name), e == OnOffAuto.ON), false, warnings);
        }
        boolean v = f.dmaLogging();
        boolean x = dev.config.deviceDirtyPageTracking() != OnOffAuto.OFF;
        if ((!v || !x) && !dev.iommuDirtyTracking) {
            String text = String.format(NO_DIRTY_TRACKING, name);
            if (e == OnOffAuto.AUTO) {
                return new Outcome(block("Q-MIG-3", text, false), true, warnings);
            }
            warnings.add(text);
        }
        if (!migratable.multipleDevicesSupported(dev)) {
            return new Outcome(block("Q-MIG-4", MULTIPLE, e == OnOffAuto.ON), true, warnings);
        }
        if (dev.config.viommu()) {
            return new Outcome(block("Q-MIG-5", String.format(VIOMMU, name), e == OnOffAuto.ON), true, warnings);
        }
        return new Outcome(new MigrationDecision("Q-MIG-6", true, false, null), true, warnings);
    }

    private static MigrationDecision block(String rule, String text, boolean fatal) {
        return new MigrationDecision(rule, false, fatal, text);
    }
}
