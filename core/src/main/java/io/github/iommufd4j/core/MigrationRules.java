package io.github.iommufd4j.core;

import io.github.iommufd4j.api.DeviceFeatures;
import io.github.iommufd4j.core.OnOffAuto;
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
     * Decides for {@code dev}, which is already on {@code attachedDevices} (QEMU's global device list).
     */
    static Outcome decide(VfioDevice dev, List<VfioDevice> attachedDevices) {
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
        if (!multipleDevicesSupported(dev, attachedDevices)) {
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

    /** Q-MIG-4: at most one migratable device, or every migratable device supports P2P. */
    private static boolean multipleDevicesSupported(VfioDevice dev, List<VfioDevice> attachedDevices) {
        int migratable = 1;
        boolean allP2p = dev.bound.features().p2p();
        for (VfioDevice d : attachedDevices) {
            if (d == dev || !d.migrationInitialized) {
                continue;
            }
            migratable++;
            allP2p &= d.bound.features().p2p();
        }
        return migratable <= 1 || allP2p;
    }
}
