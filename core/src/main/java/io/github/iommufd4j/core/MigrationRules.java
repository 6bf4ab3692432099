package io.github.iommufd4j.core;

import io.github.iommufd4j.api.DeviceFeatures;
import java.util.ArrayList;
import java.util.List;

/**
 * Section 5 of {@code docs/reference/qemu-rules.md}: QEMU's {@code vfio_migration_realize}, first matching row wins for the device's
 * decision, with the rows later versions changed or added as the profile's policies answer them: Q-EV-11
 * ({@link DirtyTrackingLimit}) inside Q-MIG-3, Q-EV-6 ({@link ViommuMigrationBlocker}) in Q-MIG-5, and the accelerated
 * vSMMU's blocker Q-EV-13 ({@link ViommuModels}) after them. The blockers it adds on the way (a device's own, and
 * Q-MIG-4's one VM-wide blocker) are returned too.
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
     * Decides for {@code dev}, which {@code migratable} does not count yet (QEMU's global device list without it),
     * with {@code profile}'s answers to the rows later versions changed.
     *
     * <p>Q-MIG-4 is QEMU's {@code vfio_block_multiple_devices_migration}: nothing when supported; with
     * enable-migration=on the realize fails; otherwise one VM-wide blocker, added by the first device that meets
     * the row (its decision is Q-MIG-4) and passed by every later one, which goes on to Q-MIG-5 and Q-MIG-6 (as the
     * device that added it does: it may also get a blocker of its own from Q-MIG-5).
     */
    static Outcome decide(VfioDevice dev, MigratableDevices migratable, Profile profile) {
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
            // Q-EV-11 (46c7633114): with on, the container's dirty-bitmap limit; a blocker with on fails the realize,
            // and QEMU deinitialises the device's migration.
            if (profile.dirtyTrackingLimit().exceeded(dev.container)) {
                return blocked("Q-EV-11", String.format(LARGE_MEMORY, name), true, false, warnings);
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
        // Q-EV-6 (0e3c1e2b2b): from 11.0 only a device whose own dirty tracking is enabled
        if (dev.config.viommu() && profile.viommuMigrationBlocker().blocks(v && x)) {
            String text = String.format(VIOMMU, name);
            boolean fatal = e == OnOffAuto.ON;
            MigrationDecision d = first != null ? first : new MigrationDecision("Q-MIG-5", false, fatal, text);
            return new Outcome(d, true, warnings, addsP2pBlocker, fatal ? null : text);
        }
        // Q-EV-13 (be0cf3c8f1): the accelerated vSMMU's own blocker, added at its realize whatever the device's
        // properties; it never fails a device's realize. Read per device, as the table reads Q-MIG-4.
        String viommuBlocker = profile.viommuModels().migrationBlocker(dev.config.viommuKind());
        if (viommuBlocker != null) {
            MigrationDecision d = first != null ? first : new MigrationDecision("Q-EV-13", false, false, viommuBlocker);
            return new Outcome(d, true, warnings, addsP2pBlocker, viommuBlocker);
        }
        return new Outcome(first != null ? first : new MigrationDecision("Q-MIG-6", true, false, null), true, warnings,
                addsP2pBlocker, null);
    }

    private static Outcome blocked(String rule, String text, boolean fatal, boolean initialized, List<String> warnings) {
        return new Outcome(new MigrationDecision(rule, false, fatal, text), initialized, warnings, false,
                fatal ? null : text);
    }
}
