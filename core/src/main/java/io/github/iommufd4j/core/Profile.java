package io.github.iommufd4j.core;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A named composition of policies: one per place where QEMU versions, or this project's {@code safe} profile,
 * differ. Every profile runs the same QEMU functions; a policy decides only its own question:
 *
 * <ul>
 *   <li>{@link ContainerPlacement}: which existing containers a device tries (Q-ATT-7);</li>
 *   <li>{@link HwptPlacement}: which existing HWPTs a device tries (Q-ATT-2, Q-ATT-4 to Q-ATT-6);</li>
 *   <li>{@link DirtyPagesUpkeep}: how {@code dirty_pages_supported} is kept (Q-ATT-3, Q-DET-3);</li>
 *   <li>{@link TrackerChoice}: which tracker a container uses, and how it is queried and stopped (Q-DT-4);</li>
 *   <li>{@link StartStopGuard}: whether a container's start/stop in its current state is skipped (Q-DT-1, Q-EV-1);</li>
 *   <li>{@link OrphanHandling}: what becomes of objects whose destroy failed (Q-DET-2, Q-ATT-10).</li>
 * </ul>
 *
 * <p>Options that only make sense with one choice are parameters of that choice (a query that keeps bits on a
 * failure exists only with {@link TrackerChoice#coverEveryDevice}), so a profile cannot carry a setting it
 * ignores. {@code docs/profiles.md} states each deviation of {@code safe} with the rule it changes, why, and its
 * cost. Build a profile of your own with {@link #builder(String)} or {@link #derive(String)}.
 */
public final class Profile {
    /** QEMU as merged with the seed commit (9.1): the default. */
    public static final Profile QEMU_9_1 = builder("qemu-9.1").build();

    /** QEMU 9.1 with the probe cache: same outcomes, fewer backend calls. */
    public static final Profile QEMU_9_1_CACHED = QEMU_9_1.derive("qemu-9.1+probe-cache")
            .hwptPlacement(HwptPlacement.NEWEST_FIRST_PROBE_CACHE).build();

    /** QEMU 10.0: start/stop idempotent per container (Q-EV-1). */
    public static final Profile QEMU_10_0 = QEMU_9_1.derive("qemu-10.0")
            .startStopGuard(StartStopGuard.IDEMPOTENT).build();

    /** This project's policy set that loses no dirty page (see {@code docs/profiles.md}). */
    public static final Profile SAFE = QEMU_9_1.derive("safe")
            .hwptPlacement(HwptPlacement.BY_CAPABILITY)
            .dirtyPagesUpkeep(DirtyPagesUpkeep.LIVE)
            .tracker(TrackerChoice.coverEveryDevice(true, true))
            .orphanHandling(OrphanHandling.RECLAIM)
            .build();

    /**
     * QEMU 9.1 with the alternative proposed on qemu-devel in July 2024: dirty-capable and plain devices in
     * separate containers ({@link ContainerPlacement#SEPARATE_DIRTY_AND_PLAIN}).
     */
    public static final Profile SPLIT_CONTAINERS = QEMU_9_1.derive("qemu-9.1+split-containers")
            .containerPlacement(ContainerPlacement.SEPARATE_DIRTY_AND_PLAIN).build();

    private static final List<Profile> KNOWN = List.of(QEMU_9_1, SAFE, QEMU_9_1_CACHED, QEMU_10_0, SPLIT_CONTAINERS);

    private final String name;
    private final ContainerPlacement containerPlacement;
    private final HwptPlacement hwptPlacement;
    private final DirtyPagesUpkeep dirtyPagesUpkeep;
    private final TrackerChoice tracker;
    private final StartStopGuard startStopGuard;
    private final OrphanHandling orphanHandling;

    private Profile(Builder b) {
        this.name = b.name;
        this.containerPlacement = b.containerPlacement;
        this.hwptPlacement = b.hwptPlacement;
        this.dirtyPagesUpkeep = b.dirtyPagesUpkeep;
        this.tracker = b.tracker;
        this.startStopGuard = b.startStopGuard;
        this.orphanHandling = b.orphanHandling;
    }

    /** A builder for a profile called {@code name}, starting from QEMU 9.1's policies. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A builder for a profile called {@code name}, starting from this profile's policies. */
    public Builder derive(String name) {
        return new Builder(name).containerPlacement(containerPlacement).hwptPlacement(hwptPlacement).dirtyPagesUpkeep(dirtyPagesUpkeep).tracker(tracker)
                .startStopGuard(startStopGuard).orphanHandling(orphanHandling);
    }

    /** The profile's name, as given on command lines and in reports. */
    public String name() {
        return name;
    }

    /** Which existing containers a device tries. */
    public ContainerPlacement containerPlacement() {
        return containerPlacement;
    }

    /** Which existing HWPTs a device tries. */
    public HwptPlacement hwptPlacement() {
        return hwptPlacement;
    }

    /** How {@code dirty_pages_supported} is kept. */
    public DirtyPagesUpkeep dirtyPagesUpkeep() {
        return dirtyPagesUpkeep;
    }

    /** Which tracker a container uses. */
    public TrackerChoice tracker() {
        return tracker;
    }

    /** Whether a container's start/stop in the requested state is skipped. */
    public StartStopGuard startStopGuard() {
        return startStopGuard;
    }

    /** What becomes of objects whose destroy failed. */
    public OrphanHandling orphanHandling() {
        return orphanHandling;
    }

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

    /** {@code qemu-10.0 [containers ANY, HWPTs NEWEST_FIRST, upkeep STICKY_OR, tracker qemu (Q-DT-4), ...]}. */
    @Override
    public String toString() {
        return name + " [containers " + containerPlacement + ", HWPTs " + hwptPlacement + ", dirty_pages_supported " + dirtyPagesUpkeep + ", tracker "
                + tracker + ", start/stop " + startStopGuard + ", orphans " + orphanHandling + "]";
    }

    /** Builds a {@link Profile}; every policy starts at QEMU 9.1's. */
    public static final class Builder {
        private final String name;
        private ContainerPlacement containerPlacement = ContainerPlacement.ANY;
        private HwptPlacement hwptPlacement = HwptPlacement.NEWEST_FIRST;
        private DirtyPagesUpkeep dirtyPagesUpkeep = DirtyPagesUpkeep.STICKY_OR;
        private TrackerChoice tracker = TrackerChoice.qemu();
        private StartStopGuard startStopGuard = StartStopGuard.EVERY_REQUEST;
        private OrphanHandling orphanHandling = OrphanHandling.LEAK;

        private Builder(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("a profile needs a name");
            }
            this.name = name;
        }

        public Builder containerPlacement(ContainerPlacement value) {
            this.containerPlacement = Objects.requireNonNull(value, "containerPlacement");
            return this;
        }

        public Builder hwptPlacement(HwptPlacement value) {
            this.hwptPlacement = Objects.requireNonNull(value, "hwptPlacement");
            return this;
        }

        public Builder dirtyPagesUpkeep(DirtyPagesUpkeep value) {
            this.dirtyPagesUpkeep = Objects.requireNonNull(value, "dirtyPagesUpkeep");
            return this;
        }

        public Builder tracker(TrackerChoice value) {
            this.tracker = Objects.requireNonNull(value, "tracker");
            return this;
        }

        public Builder startStopGuard(StartStopGuard value) {
            this.startStopGuard = Objects.requireNonNull(value, "startStopGuard");
            return this;
        }

        public Builder orphanHandling(OrphanHandling value) {
            this.orphanHandling = Objects.requireNonNull(value, "orphanHandling");
            return this;
        }

        /** The profile. */
        public Profile build() {
            return new Profile(this);
        }
    }
}
