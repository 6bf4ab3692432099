package io.github.iommufd4j.core;

import io.github.iommufd4j.api.DeviceFeatures;
import java.util.ArrayList;
import java.util.List;

/**
 * Section 5 of {@code qemu-rules.md}: QEMU's {@code vfio_migration_realize}, first matching row wins, with the rows
 * later versions changed or added as the profile's policies answer them: Q-EV-11 ({@link DirtyTrackingLimit}) inside
 * Q-MIG-3, Q-EV-6 ({@link ViommuMigrationBlocker}) in Q-MIG-5, and the accelerated vSMMU's blocker Q-EV-13
 * ({@link ViommuModels}) after them.
 */
final class MigrationRules {
    static final String DISABLED = "%s: Migration is disabled for VFIO device";
    static final String NOT_SUPPORTED = "%s: VFIO migration is not supported in kernel";
    static final String NO_DIRTY_TRACKING = "%s: VFIO device doesn't support device and IOMMU dirty tracking";
    static final String MULTIPLE = "Multiple VFIO devices migration is supported only if all of them support P2P migration";
    static final String VIOMMU = "%s: Migration is currently not supported with vIOMMU enabled";
    /** Q-EV-11: the dirty-bitmap limit (46c7633114). */
    static final String LARGE_MEMORY = "%s: Migration is currently not supported with large memory VM due to dirty"
            + " tracking limitation in backend";

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
     * Decides for {@code dev}, which {@code migratable} does not count yet (QEMU's global device list without it),
     * with {@code profile}'s answers to the rows later versions changed.
     */
    static Outcome decide(VfioDevice dev, MigratableDevices migratable, Profile profile) {
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
            // Q-EV-11 (46c7633114): with on, the container's dirty-bitmap limit; a blocker with on fails the realize,
            // and QEMU deinitialises the device's migration.
            if (profile.dirtyTrackingLimit().exceeded(dev.container)) {
                return new Outcome(block("Q-EV-11", String.format(LARGE_MEMORY, name), true), false, warnings);
            }
            warnings.add(text);
        }
        if (!migratable.multipleDevicesSupported(dev)) {
            return new Outcome(block("Q-MIG-4", MULTIPLE, e == OnOffAuto.ON), true, warnings);
        }
        // Q-EV-6 (0e3c1e2b2b): from 11.0 only a device whose own dirty tracking is enabled
        if (dev.config.viommu() && profile.viommuMigrationBlocker().blocks(v && x)) {
            return new Outcome(block("Q-MIG-5", String.format(VIOMMU, name), e == OnOffAuto.ON), true, warnings);
        }
        // Q-EV-13 (be0cf3c8f1): the accelerated vSMMU's own blocker, added at its realize whatever the device's
        // properties; it never fails a device's realize. Read per device, as the table reads Q-MIG-4.
        String viommuBlocker = profile.viommuModels().migrationBlocker(dev.config.viommuKind());
        if (viommuBlocker != null) {
            return new Outcome(block("Q-EV-13", viommuBlocker, false), true, warnings);
        }
        return new Outcome(new MigrationDecision("Q-MIG-6", true, false, null), true, warnings);
    }

    private static MigrationDecision block(String rule, String text, boolean fatal) {
        return new MigrationDecision(rule, false, fatal, text);
    }
}
