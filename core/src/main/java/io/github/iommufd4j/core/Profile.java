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
 *   <li>{@link OrphanHandling}: what becomes of objects whose destroy failed (Q-DET-2, Q-ATT-10);</li>
 *   <li>{@link LogSyncGate}: whether a container that logs is synced at all (Q-DT-4, Q-EV-7);</li>
 * </ul>
 *
 * <p>and, for the QEMU versions after 10.0 (section 6 of {@code docs/reference/qemu-rules.md}):
 *
 * <ul>
 *   <li>{@link HostIommuRealize}: when the host IOMMU is read during an attach (Q-ATT-1, Q-EV-2);</li>
 *   <li>{@link UnmapAll}: how a container unmaps its whole IOVA space (Q-EV-9);</li>
 *   <li>{@link NestingParentRequest}: whether a new HWPT is a nesting parent (Q-ATT-3, Q-EV-3);</li>
 *   <li>{@link ViommuModels}: what the emulated vIOMMUs do with a host device (Q-EV-3, Q-EV-13);</li>
 *   <li>{@link DirtyBitsOnUnmap}: whether an unmap with an IOTLB entry reads the dirty bits first (Q-EV-5);</li>
 *   <li>{@link RegionDelIotlb}: whether guest RAM leaving during dirty logging carries an IOTLB entry (Q-EV-10);</li>
 *   <li>{@link ReadOnlySections}: whether read-only memory takes part in dirty tracking (Q-EV-12);</li>
 *   <li>{@link ViommuMigrationBlocker}: which devices behind a vIOMMU Q-MIG-5 blocks (Q-EV-6);</li>
 *   <li>{@link DirtyTrackingLimit}: whether Q-MIG-3 with {@code on} checks the dirty-bitmap limit (Q-EV-11).</li>
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

    /**
     * QEMU 10.0: start/stop idempotent per container (Q-EV-1), and a container is synced only once its tracker
     * started (Q-EV-7).
     */
    public static final Profile QEMU_10_0 = QEMU_9_1.derive("qemu-10.0")
            .startStopGuard(StartStopGuard.IDEMPOTENT).logSyncGate(LogSyncGate.TRACKER_STARTED)
            // intel-iommu's x-flts exists from 10.0 (aa68a9fbdb) and refuses host devices until 11.0
            .viommuModels(ViommuModels.FIRST_STAGE_EMULATED_ONLY)
            .build();

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

    /**
     * QEMU 10.1: {@code qemu-10.0} plus Q-EV-2 (436114cc43, c45d88b8a2: {@code GET_HW_INFO} on the allocation path,
     * the host IOMMU device realized after the attach) and the unmap-all halves moved into the backend (9458d9b4dc:
     * the second half only after the first succeeded). Whatever {@code qemu-10.0} is made of, this is too. Q-EV-8's
     * CPR (010643eeb1 and its series) is not modelled: the backend API cannot adopt a device bound by an earlier
     * process, nor move mappings with {@code IOMMU_IOAS_CHANGE_PROCESS} ({@code docs/versions.md}).
     */
    public static final Profile QEMU_10_1 = QEMU_10_0.derive("qemu-10.1")
            .hostIommuRealize(HostIommuRealize.AFTER_ATTACH)
            .unmapAll(UnmapAll.TWO_HALVES_UNTIL_FAILURE)
            .build();

    /**
     * QEMU 10.2: {@code qemu-10.1} plus Q-EV-9 (b30823e561: unmap-all is one {@code IOAS_UNMAP(0, U64_MAX)}). The rest
     * of Q-EV-8 (8bf49fff0d, d59db04aed, ee1ca09fc1: CPR) is not modelled.
     */
    public static final Profile QEMU_10_2 = QEMU_10_1.derive("qemu-10.2")
            .unmapAll(UnmapAll.ONE_CALL)
            .build();

    /**
     * QEMU 11.0 as merged up to February 2026 (11.0-dev): {@code qemu-10.2} plus Q-EV-3 (c3459c6bfa, nesting parents
     * for intel-iommu {@code x-flts} and arm-smmuv3 {@code accel}), Q-EV-5 (31ec4aadd0, f051dbeb91, 374e28d876,
     * e98a1c7049: dirty bits read before a vIOMMU unmap), Q-EV-10 (6e360c0617), Q-EV-6 (0e3c1e2b2b), Q-EV-11
     * (46c7633114, e3c659fee0), Q-EV-12 (5c9da3d65d) and Q-EV-13 (be0cf3c8f1).
     */
    public static final Profile QEMU_11_0 = QEMU_10_2.derive("qemu-11.0")
            .nestingParentRequest(NestingParentRequest.WHEN_VIOMMU_WANTS)
            .viommuModels(ViommuModels.NESTED)
            .dirtyBitsOnUnmap(DirtyBitsOnUnmap.READ)
            .regionDelIotlb(RegionDelIotlb.IDENTITY_WHILE_LOGGING)
            .readOnlySections(ReadOnlySections.SKIPPED)
            .viommuMigrationBlocker(ViommuMigrationBlocker.DEVICE_DIRTY_TRACKING_ONLY)
            .dirtyTrackingLimit(DirtyTrackingLimit.TYPE1_BITMAP_LIMIT)
            .build();

    private static final List<Profile> KNOWN = List.of(QEMU_9_1, SAFE, QEMU_9_1_CACHED, QEMU_10_0, SPLIT_CONTAINERS,
            QEMU_10_1, QEMU_10_2, QEMU_11_0);

    private final String name;
    private final ContainerPlacement containerPlacement;
    private final HwptPlacement hwptPlacement;
    private final DirtyPagesUpkeep dirtyPagesUpkeep;
    private final TrackerChoice tracker;
    private final StartStopGuard startStopGuard;
    private final LogSyncGate logSyncGate;
    private final OrphanHandling orphanHandling;
    private final HostIommuRealize hostIommuRealize;
    private final UnmapAll unmapAll;
    private final NestingParentRequest nestingParentRequest;
    private final ViommuModels viommuModels;
    private final DirtyBitsOnUnmap dirtyBitsOnUnmap;
    private final RegionDelIotlb regionDelIotlb;
    private final ReadOnlySections readOnlySections;
    private final ViommuMigrationBlocker viommuMigrationBlocker;
    private final DirtyTrackingLimit dirtyTrackingLimit;

    private Profile(Builder b) {
        this.name = b.name;
        this.containerPlacement = b.containerPlacement;
        this.hwptPlacement = b.hwptPlacement;
        this.dirtyPagesUpkeep = b.dirtyPagesUpkeep;
        this.tracker = b.tracker;
        this.startStopGuard = b.startStopGuard;
        this.logSyncGate = b.logSyncGate;
        this.orphanHandling = b.orphanHandling;
        this.hostIommuRealize = b.hostIommuRealize;
        this.unmapAll = b.unmapAll;
        this.nestingParentRequest = b.nestingParentRequest;
        this.viommuModels = b.viommuModels;
        this.dirtyBitsOnUnmap = b.dirtyBitsOnUnmap;
        this.regionDelIotlb = b.regionDelIotlb;
        this.readOnlySections = b.readOnlySections;
        this.viommuMigrationBlocker = b.viommuMigrationBlocker;
        this.dirtyTrackingLimit = b.dirtyTrackingLimit;
    }

    /** A builder for a profile called {@code name}, starting from QEMU 9.1's policies. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A builder for a profile called {@code name}, starting from this profile's policies. */
    public Builder derive(String name) {
        return new Builder(name).containerPlacement(containerPlacement).hwptPlacement(hwptPlacement).dirtyPagesUpkeep(dirtyPagesUpkeep).tracker(tracker)
                .startStopGuard(startStopGuard).logSyncGate(logSyncGate).orphanHandling(orphanHandling)
                .hostIommuRealize(hostIommuRealize).unmapAll(unmapAll).nestingParentRequest(nestingParentRequest)
                .viommuModels(viommuModels).dirtyBitsOnUnmap(dirtyBitsOnUnmap).regionDelIotlb(regionDelIotlb)
                .readOnlySections(readOnlySections).viommuMigrationBlocker(viommuMigrationBlocker)
                .dirtyTrackingLimit(dirtyTrackingLimit);
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

    /** Whether a container that logs is synced at all. */
    public LogSyncGate logSyncGate() {
        return logSyncGate;
    }

    /** What becomes of objects whose destroy failed. */
    public OrphanHandling orphanHandling() {
        return orphanHandling;
    }

    /** When the host IOMMU is read during an attach (Q-EV-2). */
    public HostIommuRealize hostIommuRealize() {
        return hostIommuRealize;
    }

    /** How a container unmaps its whole IOVA space (Q-EV-9). */
    public UnmapAll unmapAll() {
        return unmapAll;
    }

    /** Whether a new HWPT is a nesting parent (Q-EV-3). */
    public NestingParentRequest nestingParentRequest() {
        return nestingParentRequest;
    }

    /** What the emulated vIOMMUs do with a host device (Q-EV-3, Q-EV-13). */
    public ViommuModels viommuModels() {
        return viommuModels;
    }

    /** Whether an unmap with an IOTLB entry reads the range's dirty bits first (Q-EV-5). */
    public DirtyBitsOnUnmap dirtyBitsOnUnmap() {
        return dirtyBitsOnUnmap;
    }

    /** Whether guest RAM leaving during dirty logging carries an IOTLB entry (Q-EV-10). */
    public RegionDelIotlb regionDelIotlb() {
        return regionDelIotlb;
    }

    /** Whether read-only memory takes part in dirty tracking (Q-EV-12). */
    public ReadOnlySections readOnlySections() {
        return readOnlySections;
    }

    /** Which devices behind a vIOMMU Q-MIG-5 blocks (Q-EV-6). */
    public ViommuMigrationBlocker viommuMigrationBlocker() {
        return viommuMigrationBlocker;
    }

    /** Whether Q-MIG-3 with {@code enable-migration=on} checks the dirty-bitmap limit (Q-EV-11). */
    public DirtyTrackingLimit dirtyTrackingLimit() {
        return dirtyTrackingLimit;
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
                + tracker + ", start/stop " + startStopGuard + ", log sync " + logSyncGate + ", orphans " + orphanHandling
                + ", host IOMMU realize "
                + hostIommuRealize + ", unmap-all " + unmapAll + ", nesting parent " + nestingParentRequest + ", vIOMMUs "
                + viommuModels + ", dirty bits on unmap " + dirtyBitsOnUnmap + ", RAM region_del " + regionDelIotlb
                + ", read-only sections " + readOnlySections + ", vIOMMU blocker " + viommuMigrationBlocker
                + ", dirty-tracking limit " + dirtyTrackingLimit + "]";
    }

    /** Builds a {@link Profile}; every policy starts at QEMU 9.1's. */
    public static final class Builder {
        private final String name;
        private ContainerPlacement containerPlacement = ContainerPlacement.ANY;
        private HwptPlacement hwptPlacement = HwptPlacement.NEWEST_FIRST;
        private DirtyPagesUpkeep dirtyPagesUpkeep = DirtyPagesUpkeep.STICKY_OR;
        private TrackerChoice tracker = TrackerChoice.qemu();
        private StartStopGuard startStopGuard = StartStopGuard.EVERY_REQUEST;
        private LogSyncGate logSyncGate = LogSyncGate.WHILE_LOGGING;
        private OrphanHandling orphanHandling = OrphanHandling.LEAK;
        private HostIommuRealize hostIommuRealize = HostIommuRealize.BEFORE_ATTACH;
        private UnmapAll unmapAll = UnmapAll.TWO_HALVES;
        private NestingParentRequest nestingParentRequest = NestingParentRequest.NEVER;
        private ViommuModels viommuModels = ViommuModels.BEFORE_FIRST_STAGE;
        private DirtyBitsOnUnmap dirtyBitsOnUnmap = DirtyBitsOnUnmap.DROPPED;
        private RegionDelIotlb regionDelIotlb = RegionDelIotlb.NONE;
        private ReadOnlySections readOnlySections = ReadOnlySections.TRACKED;
        private ViommuMigrationBlocker viommuMigrationBlocker = ViommuMigrationBlocker.EVERY_DEVICE;
        private DirtyTrackingLimit dirtyTrackingLimit = DirtyTrackingLimit.NONE;

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

        public Builder logSyncGate(LogSyncGate value) {
            this.logSyncGate = Objects.requireNonNull(value, "logSyncGate");
            return this;
        }

        public Builder orphanHandling(OrphanHandling value) {
            this.orphanHandling = Objects.requireNonNull(value, "orphanHandling");
            return this;
        }

        public Builder hostIommuRealize(HostIommuRealize value) {
            this.hostIommuRealize = Objects.requireNonNull(value, "hostIommuRealize");
            return this;
        }

        public Builder unmapAll(UnmapAll value) {
            this.unmapAll = Objects.requireNonNull(value, "unmapAll");
            return this;
        }

        public Builder nestingParentRequest(NestingParentRequest value) {
            this.nestingParentRequest = Objects.requireNonNull(value, "nestingParentRequest");
            return this;
        }

        public Builder viommuModels(ViommuModels value) {
            this.viommuModels = Objects.requireNonNull(value, "viommuModels");
            return this;
        }

        public Builder dirtyBitsOnUnmap(DirtyBitsOnUnmap value) {
            this.dirtyBitsOnUnmap = Objects.requireNonNull(value, "dirtyBitsOnUnmap");
            return this;
        }

        public Builder regionDelIotlb(RegionDelIotlb value) {
            this.regionDelIotlb = Objects.requireNonNull(value, "regionDelIotlb");
            return this;
        }

        public Builder readOnlySections(ReadOnlySections value) {
            this.readOnlySections = Objects.requireNonNull(value, "readOnlySections");
            return this;
        }

        public Builder viommuMigrationBlocker(ViommuMigrationBlocker value) {
            this.viommuMigrationBlocker = Objects.requireNonNull(value, "viommuMigrationBlocker");
            return this;
        }

        public Builder dirtyTrackingLimit(DirtyTrackingLimit value) {
            this.dirtyTrackingLimit = Objects.requireNonNull(value, "dirtyTrackingLimit");
            return this;
        }

        /**
         * The profile.
         *
         * @throws IllegalArgumentException for policies that cannot work together: a placement that decides by the
         *                                  host IOMMU's capability before the HWPT search needs it read before the
         *                                  attach ({@link HostIommuRealize#BEFORE_ATTACH})
         */
        public Profile build() {
            if (hostIommuRealize == HostIommuRealize.AFTER_ATTACH) {
                String needsCaps = hwptPlacement == HwptPlacement.BY_CAPABILITY ? "HwptPlacement.BY_CAPABILITY"
                        : containerPlacement == ContainerPlacement.SEPARATE_DIRTY_AND_PLAIN
                        ? "ContainerPlacement.SEPARATE_DIRTY_AND_PLAIN" : null;
                if (needsCaps != null) {
                    throw new IllegalArgumentException("profile " + name + ": " + needsCaps + " decides by the host"
                            + " IOMMU's dirty-tracking capability before the HWPT search, but HostIommuRealize.AFTER_ATTACH"
                            + " (Q-EV-2) reads the host IOMMU only on the allocation path; compose it with"
                            + " HostIommuRealize.BEFORE_ATTACH");
                }
            }
            return new Profile(this);
        }
    }
}
