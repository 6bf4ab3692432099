package io.github.iommufd4j.core;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A named set of behaviour choices. Every profile runs the same code; a profile only switches the places
 * where QEMU versions (or this project's {@code safe} policy) differ.
 *
 * @param name                 the profile's name, as given on command lines and in reports
 * @param idempotentStartStop  Q-EV-1 (QEMU 10.0): start/stop do nothing when the container is already in the
 *                             requested state; off in {@code qemu-9.1}
 * @param probeCache           a HWPT that answered EINVAL for a device is not probed again for a device behind
 *                             the same IOMMU instance and group while it lives (an optimisation; it must never
 *                             change an outcome)
 */
public record Profile(String name, boolean idempotentStartStop, boolean probeCache) {

    /** QEMU as merged with the seed commit (9.1): the default. */
    public static final Profile QEMU_9_1 = new Profile("qemu-9.1", false, false);

    /** QEMU 9.1 with the probe cache on: same outcomes, fewer backend calls. */
    public static final Profile QEMU_9_1_CACHED = new Profile("qemu-9.1+probe-cache", false, true);

    /** QEMU 10.0: start/stop idempotent (Q-EV-1). */
    public static final Profile QEMU_10_0 = new Profile("qemu-10.0", true, false);

    private static final List<Profile> KNOWN = List.of(QEMU_9_1, QEMU_9_1_CACHED, QEMU_10_0);

    /** The default profile, {@code qemu-9.1}. */
    public static Profile defaultProfile() {
        return QEMU_9_1;
    }

    /** Every named profile. */
    public static List<Profile> known() {
        return KNOWN;
    }

    /**
     * The profile called {@code name}.
     *
     * @throws IllegalArgumentException naming the known profiles
     */
    public static Profile named(String name) {
        for (Profile p : KNOWN) {
            if (p.name.equals(name.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown profile '" + name + "'; known: "
                + KNOWN.stream().map(Profile::name).collect(Collectors.joining(", ")));
    }

    /** This profile with the probe cache switched. */
    public Profile withProbeCache(boolean on) {
        return new Profile(on == probeCache ? name : name + (on ? "+probe-cache" : "-probe-cache"), idempotentStartStop, on);
    }
}
