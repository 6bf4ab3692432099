package io.github.iommufd4j.core;

import io.github.iommufd4j.api.DeviceFeatures;
import java.util.ArrayList;
import java.util.List;

/**
 * Section 5 of {@code qemu-rules.md}: QEMU's {@code vfio_migration_realize}, first matching row wins for the device's
 * decision; the blockers it adds on the way (a device's own, and Q-MIG-4's one VM-wide blocker) are returned too.
 */
final class MigrationRules {
    static final String DISABLED = "%s: Migration is disabled for VFIO device";
    static final String NOT_SUPPORTED = "%s: VFIO migration is not supported in kernel";
    static final String NO_DIRTY_TRACKING = "%s: VFIO device doesn't support device and IOMMU dirty tracking";
    static final String MULTIPLE = "Multiple VFIO devices migration is supported only if all of them support P2P migration";
    static final String VIOMMU = "%s: Migration is currently not supported with vIOMMU enabled";

    private MigrationRules() {
    }

    /**
     * @param decision             the device's decision: the first row that blocked it, else Q-MIG-6
     * @param migrationInitialized VFIO migration was set up for the device (it counts as migratable for Q-MIG-4)
     * @param warnings             warnings printed on the way (Q-MIG-3 with enable-migration=on)
     * @param addsP2pBlocker       the realize adds Q-MIG-4's VM-wide blocker (none existed yet)
     * @param deviceBlocker        the text of the device's own blocker, or null (none, or the realize fails)
     */
    record Outcome(MigrationDecision decision, boolean migrationInitialized, List<String> warnings,
                   boolean addsP2pBlocker, String deviceBlocker) {
    }

    /**
     * Decides for {@code dev}, which {@code migratable} does not count yet (QEMU's global device list without it).
     *
     * <p>Q-MIG-4 is QEMU's {@code vfio_block_multiple_devices_migration}: nothing when supported; with
     * enable-migration=on the realize fails; otherwise one VM-wide blocker, added by the first device that meets
     * the row (its decision is Q-MIG-4) and passed by every later one, which goes on to Q-MIG-5 and Q-MIG-6 (as the
     * device that added it does: it may also get a blocker of its own from Q-MIG-5).
     */
    static Outcome decide(VfioDevice dev, MigratableDevices migratable) {
        String name = dev.name();
        OnOffAuto e = dev.config.enableMigration();
        DeviceFeatures f = dev.bound.features();
        List<String> warnings = new ArrayList<>();
        if (e == OnOffAuto.OFF) {
            return blocked("Q-MIG-1", String.format(DISABLED, name), false, false, warnings);
        }
        if (!f.migration()) {
            return blocked("Q-MIG-2", String.format(NOT_SUPPORTED, name), e == OnOffAuto.ON, false, warnings);
        }
        boolean v = f.dmaLogging();
        boolean x = dev.config.deviceDirtyPageTracking() != OnOffAuto.OFF;
        if ((!v || !x) && !dev.iommuDirtyTracking) {
            String text = String.format(NO_DIRTY_TRACKING, name);
            if (e == OnOffAuto.AUTO) {
                return blocked("Q-MIG-3", text, false, true, warnings);
            }
            warnings.add(text);
        }
        MigrationDecision first = null;
        boolean addsP2pBlocker = false;
        if (!migratable.multipleDevicesSupported(dev)) {
            if (e == OnOffAuto.ON) {
                return new Outcome(new MigrationDecision("Q-MIG-4", false, true, MULTIPLE), true, warnings, false, null);
            }
            if (!migratable.p2pBlocked()) {
                addsP2pBlocker = true;
                first = new MigrationDecision("Q-MIG-4", false, false, MULTIPLE);
            }
        }
        if (dev.config.viommu()) {
            String text = String.format(VIOMMU, name);
            boolean fatal = e == OnOffAuto.ON;
            MigrationDecision d = first != null ? first : new MigrationDecision("Q-MIG-5", false, fatal, text);
            return new Outcome(d, true, warnings, addsP2pBlocker, fatal ? null : text);
        }
        return new Outcome(first != null ? first : new MigrationDecision("Q-MIG-6", true, false, null), true, warnings,
                addsP2pBlocker, null);
    }

    private static Outcome blocked(String rule, String text, boolean fatal, boolean initialized, List<String> warnings) {
        return new Outcome(new MigrationDecision(rule, false, fatal, text), initialized, warnings, false,
                fatal ? null : text);
    }
}
