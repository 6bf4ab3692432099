package io.github.iommufd4j.core;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A named set of behaviour choices. Every profile runs the same code; a profile only switches the places
 * where QEMU versions, or this project's {@code safe} policy, differ. {@code docs/profiles.md} states each
 * deviation of {@code safe} with the rule it changes, why, and its cost.
 *
 * @param name                  the profile's name, as given on command lines and in reports
 * @param idempotentStartStop   Q-EV-1 (QEMU 10.0): start/stop do nothing when the container is already in the
 *                              requested state
 * @param probeCache            a HWPT that answered EINVAL for a device is not probed again for a device behind
 *                              the same IOMMU instance and group while it lives (fewer calls, same outcomes)
 * @param placeByCapability     a device whose IOMMU reports dirty tracking only joins dirty-tracking HWPTs, so
 *                              it never ends on a HWPT without it when it could have one (changes Q-ATT-4/5/6)
 * @param liveDirtyPagesSupported {@code dirty_pages_supported} is recomputed from the live HWPTs instead of only
 *                              OR-ed (changes Q-ATT-3's OR and Q-DET-3)
 * @param coverEveryDevice      during a session every device is covered by a tracker: VF DMA logging for the
 *                              devices no dirty-tracking HWPT sees, else perpetual dirty for the container; and
 *                              guest memory cannot grow while tracking (changes Q-DT-4)
 * @param keepBitsOnFailedQuery a query reads every HWPT with NO_CLEAR first and clears only after all reads
 *                              succeeded, and a failure reports the bits already gathered (changes Q-DT-3)
 * @param flushBeforeStop       stop, and a detach during a session, first sync the container so no page
 *                              written during the session goes unreported; a failed flush keeps tracking on
 * @param reclaimOrphans        objects whose IOMMU_DESTROY failed are destroyed again after each detach and
 *                              each failed attach
 *                              (QEMU leaks them: Q-DET-2 goes on after a failed DETACH, the destroys get EBUSY)
 */
public record Profile(String name, boolean idempotentStartStop, boolean probeCache, boolean placeByCapability,
                      boolean liveDirtyPagesSupported, boolean coverEveryDevice, boolean keepBitsOnFailedQuery,
                      boolean flushBeforeStop, boolean reclaimOrphans) {

    /** QEMU as merged with the seed commit (9.1): the default. */
    public static final Profile QEMU_9_1 = new Profile("qemu-9.1", false, false, false, false, false, false, false, false);

    /** QEMU 9.1 with the probe cache on: same outcomes, fewer backend calls. */
    public static final Profile QEMU_9_1_CACHED = new Profile("qemu-9.1+probe-cache", false, true, false, false, false,
            false, false, false);

    /** QEMU 10.0: start/stop idempotent (Q-EV-1). */
    public static final Profile QEMU_10_0 = new Profile("qemu-10.0", true, false, false, false, false, false, false, false);

    /** This project's policy that loses no dirty page (see {@code docs/profiles.md}). */
    public static final Profile SAFE = new Profile("safe", true, false, true, true, true, true, true, true);

    private static final List<Profile> KNOWN = List.of(QEMU_9_1, SAFE, QEMU_9_1_CACHED, QEMU_10_0);

    /** The default profile, {@code qemu-9.1}. */
    public static Profile defaultProfile() {
        return QEMU_9_1;
    }

    /** Every named profile, the default first. */
    public static List<Profile> known() {
        return KNOWN;
    }

    /**
     * The profile called {@code name} (exact spelling).
     *
     * @throws IllegalArgumentException naming the known profiles
     */
    public static Profile named(String name) {
        for (Profile p : KNOWN) {
            if (p.name.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown profile '" + name + "'; known: "
                + KNOWN.stream().map(Profile::name).collect(Collectors.joining(", ")));
    }
}
