package io.github.iommufd4j.testkit;

import io.github.iommufd4j.core.DirtyPagesUpkeep;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.ForwardingIommufdBackend;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.ObjectInventory;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.core.Snapshots;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The invariants that must hold between the VMM ({@link io.github.iommufd4j.core.VfioIommufd}) and its backend
 * after every operation, whatever failed. Each violation is a string starting with the invariant's id:
 * <ul>
 * <li>{@code INV-HWPT-ONE}: a device is in at most one HWPT, and only in HWPTs of the container it is in.</li>
 * <li>{@code INV-CONTAINER}: a device is in its container's device list iff it is attached, in exactly one
 * container; an attached non-mdev device has a HWPT of that container listing it; an mdev has none.</li>
 * <li>{@code INV-ALIVE}: every IOAS and HWPT the VMM knows is alive in the backend.</li>
 * <li>{@code INV-UNKNOWN}: the backend holds no IOAS or HWPT the VMM does not know, and exactly as many bound
 * devices as the VMM has attached devices. (Strict: the in-memory backend makes no auto domain for an mdev.)</li>
 * <li>{@code INV-FLAGS} (Q-ATT-3): a HWPT's flags are the ones it was allocated with, and
 * contain DIRTY_TRACKING iff the allocating device's IOMMU reported the capability in GET_HW_INFO.</li>
 * <li>{@code INV-DPS} (Q-ATT-3, Q-DET-3): a container's {@code dirty_pages_supported} is true iff a
 * DIRTY_TRACKING HWPT was ever allocated in its IOAS and a device attached to it; with a profile whose
 * {@code liveDirtyPagesSupported} is on, iff one of its HWPTs is DIRTY_TRACKING now.</li>
 * <li>{@code INV-IDT} (Q-ATT-3, Q-ATT-4, Q-ATT-9): an attached device's {@code iommu_dirty_tracking} equals
 * its HWPT's DIRTY_TRACKING flag (false for an mdev).</li>
 * <li>{@code INV-LOGGING}: every container agrees on whether global dirty logging is on.</li>
 * <li>{@code INV-EMPTY} ({@link #checkEmpty}): after the last detach no object is left in the backend.</li>
 * <li>{@code INV-LEAK}: an object the VMM lists as an orphan ({@code Topology.orphans()}: its IOMMU_DESTROY
 * failed and QEMU only traces that) is still alive. QEMU leaks it, core reproduces the leak, so this is
 * QEMU's behaviour, not a bookkeeping error; it has its own id so a caller can tell it from
 * {@code INV-UNKNOWN}. Without injected faults no IOMMU_DESTROY should ever fail.</li>
 * <li>{@code INV-ORPHANS}: the VMM's orphans are exactly objects whose IOMMU_DESTROY failed (seen in the
 * calls) and that are still alive.</li>
 * </ul>
 *
 * <p>The last three facts about history (allocation flags, capabilities, which IOAS a dirty HWPT was attached
 * in) come from the backend calls themselves, seen through {@link #observe}: wrap the backend the VMM uses.
 * Thread-safe.
 */
public final class Invariants {
    private final boolean liveDirtyPagesSupported;
    /** GET_HW_INFO's dirty capability per bound device id. */
    private final Map<Integer, Boolean> dirtyCapableByDevId = new HashMap<>();
    /** HWPTs allocated through the observer and alive: id to how. */
    private final Map<Integer, Allocation> allocations = new HashMap<>();
    /** Ids whose IOMMU_DESTROY failed and that were not destroyed since. */
    private final Set<Integer> failedDestroys = new HashSet<>();
    /** Live IOAS ids (allocated through the observer) to whether a DIRTY_TRACKING HWPT was ever attached in it. */
    private final Map<Integer, Boolean> everDirtyByIoas = new HashMap<>();

    private record Allocation(int ioasId, FlagSet<HwptAllocFlag> flags, Boolean deviceDirtyCapable) {
    }

    /** Invariants for a VMM running {@code profile} (which decides how {@code INV-DPS} reads). */
    public Invariants(Profile profile) {
        Objects.requireNonNull(profile, "profile");
        this.liveDirtyPagesSupported = profile.dirtyPagesUpkeep() == DirtyPagesUpkeep.LIVE;
    }

    /**
     * A backend that passes every call to {@code backend} and records what the history invariants need. Give it
     * to the VMM instead of {@code backend}; abilities pass through.
     */
    public IommufdBackend observe(IommufdBackend backend) {
        return new Observed(Objects.requireNonNull(backend, "backend"));
    }

    /**
     * Every invariant violated by the VMM state {@code topology} (from {@code VfioIommufd.snapshot()}) against the
     * backend objects {@code inventory}; empty when all hold.
     */
    public synchronized List<String> check(Snapshots.Topology topology, ObjectInventory inventory) {
        Objects.requireNonNull(topology, "topology");
        Objects.requireNonNull(inventory, "inventory");
        List<String> v = new ArrayList<>();
        checkMembership(topology, v);
        checkObjects(topology, inventory.liveObjects(), v);
        checkFlags(topology, v);
        return v;
    }

    /**
     * {@code INV-EMPTY}: nothing is left in the backend (after the last detach); objects whose IOMMU_DESTROY
     * failed are reported as {@code INV-LEAK} instead.
     */
    public synchronized List<String> checkEmpty(ObjectInventory inventory) {
        List<BackendObject> leaked = new ArrayList<>();
        List<BackendObject> left = new ArrayList<>();
        for (BackendObject o : inventory.liveObjects()) {
            (o.type() != BackendObject.Type.DEVICE && failedDestroys.contains(o.id()) ? leaked : left).add(o);
        }
        List<String> v = new ArrayList<>();
        if (!left.isEmpty()) {
            v.add("INV-EMPTY: objects left in the backend after the last detach: " + left);
        }
        if (!leaked.isEmpty()) {
            v.add("INV-LEAK: objects left after their IOMMU_DESTROY failed: " + leaked);
        }
        return v;
    }

    private static void checkMembership(Snapshots.Topology t, List<String> v) {
        Map<String, Integer> hwptOf = new HashMap<>();
        Map<String, Integer> containerOf = new HashMap<>();
        Set<Integer> hwptIds = new HashSet<>();
        for (Snapshots.ContainerView c : t.containers()) {
            for (String d : c.devices()) {
                Integer prev = containerOf.put(d, c.ioasId());
                if (prev != null) {
                    v.add("INV-CONTAINER: device " + d + " is in the device lists of IOAS " + prev + " and IOAS " + c.ioasId());
                }
            }
            for (Snapshots.HwptView h : c.hwpts()) {
                if (!hwptIds.add(h.id())) {
                    v.add("INV-HWPT-ONE: HWPT id " + h.id() + " appears twice");
                }
                if (h.devices().isEmpty()) {
                    v.add("INV-HWPT-ONE: HWPT " + h.id() + " of IOAS " + c.ioasId() + " has no device (should have been freed)");
                }
                for (String d : h.devices()) {
                    Integer prev = hwptOf.put(d, h.id());
                    if (prev != null) {
                        v.add("INV-HWPT-ONE: device " + d + " is in HWPT " + prev + " and HWPT " + h.id());
                    }
                    if (!c.devices().contains(d)) {
                        v.add("INV-HWPT-ONE: device " + d + " is in HWPT " + h.id() + " but not in the device list of its IOAS "
                                + c.ioasId());
                    }
                }
            }
        }
        for (Snapshots.DeviceView d : t.devices()) {
            Integer c = containerOf.get(d.name());
            Integer h = hwptOf.get(d.name());
            if (d.attached()) {
                if (c == null || !c.equals(d.ioasId())) {
                    v.add("INV-CONTAINER: attached device " + d.name() + " says IOAS " + d.ioasId()
                            + " but is in the device list of " + (c == null ? "no container" : "IOAS " + c));
                }
                if (d.mdev()) {
                    if (d.hwptId() != null || h != null) {
                        v.add("INV-CONTAINER: mdev " + d.name() + " has HWPT " + d.hwptId() + " / is listed in HWPT " + h);
                    }
                } else if (d.hwptId() == null || !d.hwptId().equals(h)) {
                    v.add("INV-CONTAINER: attached device " + d.name() + " says HWPT " + d.hwptId()
                            + " but is listed in " + (h == null ? "no HWPT" : "HWPT " + h));
                }
            } else {
                if (c != null) {
                    v.add("INV-CONTAINER: detached device " + d.name() + " is still in the device list of IOAS " + c);
                }
                if (h != null || d.hwptId() != null || d.ioasId() != null) {
                    v.add("INV-CONTAINER: detached device " + d.name() + " still has HWPT " + d.hwptId() + "/" + h
                            + ", IOAS " + d.ioasId());
                }
            }
        }
    }

    private void checkObjects(Snapshots.Topology t, List<BackendObject> live, List<String> v) {
        Set<String> known = new TreeSet<>();
        for (Snapshots.ContainerView c : t.containers()) {
            known.add(new BackendObject(BackendObject.Type.IOAS, c.ioasId()).toString());
            c.hwpts().forEach(h -> known.add(new BackendObject(BackendObject.Type.HWPT, h.id()).toString()));
        }
        Set<String> alive = new TreeSet<>();
        int bound = 0;
        for (BackendObject o : live) {
            if (o.type() == BackendObject.Type.DEVICE) {
                bound++;
            } else {
                alive.add(o.toString());
            }
        }
        Set<String> missing = new TreeSet<>(known);
        missing.removeAll(alive);
        if (!missing.isEmpty()) {
            v.add("INV-ALIVE: objects the VMM knows but the backend does not hold: " + missing);
        }
        Set<String> orphans = new TreeSet<>();
        for (BackendObject o : t.orphans()) {
            orphans.add(o.toString());
            if (!failedDestroys.contains(o.id())) {
                v.add("INV-ORPHANS: the VMM lists " + o + " as an orphan but no IOMMU_DESTROY of it failed");
            }
            if (known.contains(o.toString())) {
                v.add("INV-ORPHANS: the VMM lists " + o + " as an orphan and as a live object of a container");
            }
        }
        Set<String> unknown = new TreeSet<>();
        Set<String> leaked = new TreeSet<>();
        for (BackendObject o : live) {
            String s = o.toString();
            if (o.type() != BackendObject.Type.DEVICE && !known.contains(s)) {
                (orphans.contains(s) ? leaked : unknown).add(s);
            }
        }
        Set<String> deadOrphans = new TreeSet<>(orphans);
        deadOrphans.removeAll(alive);
        if (!deadOrphans.isEmpty()) {
            v.add("INV-ORPHANS: the VMM lists orphans the backend no longer holds: " + deadOrphans);
        }
        if (!unknown.isEmpty()) {
            v.add("INV-UNKNOWN: objects alive in the backend that the VMM does not know: " + unknown);
        }
        if (!leaked.isEmpty()) {
            v.add("INV-LEAK: orphans (IOMMU_DESTROY failed, QEMU forgets them) alive in the backend: " + leaked);
        }
        long attached = t.devices().stream().filter(Snapshots.DeviceView::attached).count();
        if (bound != attached) {
            v.add("INV-UNKNOWN: the backend holds " + bound + " bound device(s), the VMM has " + attached + " attached");
        }
    }

    private void checkFlags(Snapshots.Topology t, List<String> v) {
        Map<Integer, Snapshots.HwptView> hwpts = new HashMap<>();
        Set<Boolean> logging = new HashSet<>();
        for (Snapshots.ContainerView c : t.containers()) {
            logging.add(c.loggingStarted());
            for (Snapshots.HwptView h : c.hwpts()) {
                hwpts.put(h.id(), h);
                Allocation a = allocations.get(h.id());
                if (a == null) {
                    continue;
                }
                if (!a.flags.equals(h.flags())) {
                    v.add("INV-FLAGS: HWPT " + h.id() + " records flags " + h.flags() + " but was allocated with " + a.flags);
                }
                if (a.ioasId != c.ioasId()) {
                    v.add("INV-FLAGS: HWPT " + h.id() + " is listed under IOAS " + c.ioasId() + " but was allocated on IOAS " + a.ioasId);
                }
                if (a.deviceDirtyCapable != null && h.dirtyTracking() != a.deviceDirtyCapable) {
                    v.add("INV-FLAGS: HWPT " + h.id() + " has DIRTY_TRACKING=" + h.dirtyTracking()
                            + " but its allocating device's IOMMU reported dirty tracking=" + a.deviceDirtyCapable);
                }
            }
            Boolean everDirty = liveDirtyPagesSupported
                    ? Boolean.valueOf(c.hwpts().stream().anyMatch(Snapshots.HwptView::dirtyTracking))
                    : everDirtyByIoas.get(c.ioasId());
            if (everDirty != null && everDirty != c.dirtyPagesSupported()) {
                v.add("INV-DPS: IOAS " + c.ioasId() + " dirty_pages_supported=" + c.dirtyPagesSupported()
                        + " but a DIRTY_TRACKING HWPT " + (liveDirtyPagesSupported ? "is" : "was")
                        + (everDirty ? "" : " never") + " attached in it");
            }
        }
        if (logging.size() > 1) {
            v.add("INV-LOGGING: containers disagree on whether dirty logging is on");
        }
        for (Snapshots.DeviceView d : t.devices()) {
            if (!d.attached()) {
                continue;
            }
            boolean expected = !d.mdev() && d.hwptId() != null && hwpts.containsKey(d.hwptId())
                    && hwpts.get(d.hwptId()).dirtyTracking();
            if (d.iommuDirtyTracking() != expected) {
                v.add("INV-IDT: attached device " + d.name() + " has iommu_dirty_tracking=" + d.iommuDirtyTracking()
                        + " but its HWPT " + d.hwptId() + " has DIRTY_TRACKING=" + expected);
            }
        }
    }

    // ---------------------------------------------------------------- history, from the calls

    private synchronized void hwInfo(int devId, HostIommuDevice hiod) {
        dirtyCapableByDevId.put(devId, hiod.supportsDirtyTracking());
    }

    private synchronized void unbound(int devId) {
        dirtyCapableByDevId.remove(devId);
    }

    private synchronized void ioasAllocated(int ioasId) {
        everDirtyByIoas.put(ioasId, false);
        failedDestroys.remove(ioasId);
    }

    private synchronized void hwptAllocated(int hwptId, int devId, int ioasId, FlagSet<HwptAllocFlag> flags) {
        allocations.put(hwptId, new Allocation(ioasId, flags, dirtyCapableByDevId.get(devId)));
        failedDestroys.remove(hwptId);
    }

    private synchronized void attached(int ptId) {
        Allocation a = allocations.get(ptId);
        if (a != null && a.flags.contains(HwptAllocFlag.DIRTY_TRACKING) && everDirtyByIoas.containsKey(a.ioasId)) {
            everDirtyByIoas.put(a.ioasId, true);
        }
    }

    private synchronized void destroyed(int id) {
        allocations.remove(id);
        everDirtyByIoas.remove(id);
        failedDestroys.remove(id);
    }

    private synchronized void destroyFailed(int id) {
        failedDestroys.add(id);
    }

    /** The observing decorator: every call passes through; successful ones update the history. */
    private final class Observed extends ForwardingIommufdBackend {
        Observed(IommufdBackend d) {
            super(d);
        }

        @Override
        public int ioasAlloc() {
            int id = delegate().ioasAlloc();
            ioasAllocated(id);
            return id;
        }

        @Override
        public void destroy(int id) {
            try {
                delegate().destroy(id);
            } catch (IommufdException e) {
                destroyFailed(id);
                throw e;
            }
            destroyed(id);
        }

        @Override
        public void unbind(int devId) {
            delegate().unbind(devId);
            unbound(devId);
        }

        @Override
        public HostIommuDevice getHwInfo(int devId) {
            HostIommuDevice h = delegate().getHwInfo(devId);
            hwInfo(devId, h);
            return h;
        }

        @Override
        public int hwptAlloc(int devId, int ptId, FlagSet<HwptAllocFlag> flags) {
            int id = delegate().hwptAlloc(devId, ptId, flags);
            hwptAllocated(id, devId, ptId, flags);
            return id;
        }

        @Override
        public int attach(int devId, int ptId) {
            int on = delegate().attach(devId, ptId);
            attached(ptId);
            return on;
        }
    }
}
