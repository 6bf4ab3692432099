package io.github.iommufd4j.core;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The VMM side of VFIO over iommufd, as QEMU's {@code hw/vfio/iommufd.c} does it: address spaces, containers,
 * HWPTs and devices over one {@link IommufdBackend}, with the rules of {@code docs/reference/qemu-rules.md}.
 *
 * <p>Entry points: {@link #attach} (Q-ATT-1 to Q-ATT-10, then the migration decision Q-MIG), {@link #detach}
 * (Q-DET-1 to Q-DET-3), {@link #startDirtyTracking}/{@link #stopDirtyTracking} (Q-DT-1, Q-DT-2, Q-DT-4),
 * {@link #sync} (Q-DT-3, Q-DT-4), {@link #mapMemory}/{@link #unmapMemory} (guest RAM in every IOAS), and
 * {@link #snapshot()}.
 *
 * <p>Thread-safety: every public method takes one lock, as QEMU relies on its big lock, so callers on several
 * threads see each operation whole. Listeners are called with the lock held: they must not call back in.
 */
public final class VfioIommufd {
    private static final System.Logger LOG = System.getLogger(VfioIommufd.class.getName());
    /** QEMU's own messages: warn_report at WARNING, error_report at ERROR (README "Logging"). */
    private static final System.Logger QEMU_LOG = System.getLogger("io.github.iommufd4j.qemu");
    /** The highest guest physical address: guests have at most 52 address bits. */
    private static final long MAX_GUEST_ADDRESS = (1L << 52) - 1;

    /** Q-HP-1: QEMU's answer to device_add while a migration runs. */
    public static final String DEVICE_ADD_WHILE_MIGRATING = "device_add not allowed while migrating";
    /** Q-HP-1: QEMU's answer to device_del while a migration runs. */
    public static final String DEVICE_DEL_WHILE_MIGRATING = "device_del not allowed while migrating";
    /** Q-DT-7: a stop while dirty tracking is not started is refused with no call. */
    public static final String NOT_STARTED = "dirty tracking is not started";
    /** Q-ATT-1, Q-EV-2: a failed {@code GET_HW_INFO}. */
    static final String HW_INFO_FAILED = "Failed to get hardware info";
    /** What QEMU prefixes to a vIOMMU's refusal of a host device ({@code pci_device_set_iommu_device}). */
    static final String SET_VIOMMU_PREFIX = "Failed to set vIOMMU: ";

    private final Object lock = new Object();
    private final IommufdBackend backend;
    private final Profile profile;
    private final long pageSize;
    private final List<AddressSpace> spaces = new ArrayList<>();
    /** Every device ever attached, by name, in first-attach order. */
    private final Map<String, VfioDevice> devices = new LinkedHashMap<>();
    /** QEMU's global {@code vfio_device_list}: attached devices, newest first. */
    private final List<VfioDevice> attachedDevices = new ArrayList<>();
    /** Q-MIG-4's count of the attached devices that initialised migration, kept as devices come and go. */
    private final MigratableDevices migratable = new MigratableDevices();
    /**
     * QEMU's migration blockers ({@code migration_blockers}), oldest first, as {@code query-migrate} lists them: a
     * blocked device's own (section 5), and Q-MIG-4's one VM-wide blocker (owner null).
     */
    private final List<Blocker> blockers = new ArrayList<>();
    private final List<IovaRange> memory = new ArrayList<>();
    /** The ranges of {@link #memory} that are read-only (ROM). */
    private final Set<IovaRange> readOnly = new HashSet<>();
    /**
     * The guest's vIOMMU mappings (IOTLB entries, ascending) per address space of a translating vIOMMU
     * ({@link ViommuKind#INTEL_IOMMU}); they outlive the device's attach, as the guest's page tables do.
     */
    private final Map<String, List<IovaRange>> viommuMappings = new LinkedHashMap<>();
    /** The probe-cache key of each (IOMMU instance, group) pair seen: 0, 1, 2, ... ({@link VfioDevice#probeKey}). */
    private final Map<String, Integer> probeKeys = new HashMap<>();
    /** Objects whose IOMMU_DESTROY failed: alive in the kernel, no longer in the VMM's lists. */
    private final List<BackendObject> orphans = new ArrayList<>();
    private final List<Consumer<Diagnostic>> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<DirtyRun>> dirtyListeners = new CopyOnWriteArrayList<>();
    private final Autodomains autodomains;
    private final DirtyTracking dirtyTracking;
    private long nextSequence = 1;
    /** The VMM's global dirty logging ({@code global_dirty_tracking}). */
    private boolean globalLogging;

    /**
     * A VMM over {@code backend}.
     *
     * @param pageSize the host page size used for dirty bitmaps (a power of two)
     */
    public VfioIommufd(IommufdBackend backend, Profile profile, long pageSize) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.profile = Objects.requireNonNull(profile, "profile");
        DirtyBitmap.pageCount(0, pageSize); // validates the page size
        this.pageSize = pageSize;
        this.autodomains = new Autodomains(backend, profile, this::emit, orphans::add);
        this.dirtyTracking = new DirtyTracking(backend, profile, pageSize, this::dmaLoggingRanges, this::emit);
    }

    /** A VMM over {@code backend} with the {@code qemu-9.1} profile and 4 KiB pages. */
    public VfioIommufd(IommufdBackend backend) {
        this(backend, Profile.defaultProfile(), 4096);
    }

    /** The profile in force. */
    public Profile profile() {
        return profile;
    }

    /** The backend. */
    public IommufdBackend backend() {
        return backend;
    }

    /** Registers a listener for warnings and non-fatal errors (also logged through {@link System.Logger}). */
    public void addDiagnosticListener(Consumer<Diagnostic> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Removes a listener. */
    public void removeDiagnosticListener(Consumer<Diagnostic> listener) {
        listeners.remove(listener);
    }

    /**
     * Registers a listener for every run a query reports dirty: those of {@link #sync} and those of the flush
     * that a tracker choice may make before a stop.
     */
    public void addDirtyListener(Consumer<DirtyRun> listener) {
        dirtyListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    private void emit(Diagnostic d) {
        QEMU_LOG.log(d.level() == Diagnostic.Level.WARNING ? System.Logger.Level.WARNING : System.Logger.Level.ERROR, d.text());
        for (Consumer<Diagnostic> l : listeners) {
            l.accept(d);
        }
    }

    // ------------------------------------------------------------------------------------------------ attach

    /**
     * Assigns a device: Q-ATT-1 (bind, address space, GET_HW_INFO, existing containers newest first, else a new
     * container), then the migration decision (section 5). On failure every step is undone in reverse (Q-ATT-10)
     * and a {@link VfioException} carries QEMU's message and the errno of the call that failed.
     *
     * @throws VfioException          with {@value #DEVICE_ADD_WHILE_MIGRATING} and no errno while dirty tracking is
     *                                  started (Q-HP-1: a migration runs; no backend call is made)
     * @throws IllegalStateException   when a device of that name is attached already
     * @throws IllegalArgumentException when the profile's QEMU has no such vIOMMU ({@link ViommuModels}), before any
     *                                  call: QEMU refuses the property on its command line
     */
    public void attach(DeviceConfig config) {
        Objects.requireNonNull(config, "config");
        synchronized (lock) {
            if (!profile.viommuModels().offers(config.viommuKind())) {
                throw new IllegalArgumentException(ViommuModels.missingProperty(config.viommuKind()) + ": profile "
                        + profile.name() + " has no vIOMMU " + config.viommuKind().spelling()
                        + " (QEMU refuses its command line)");
            }
            if (globalLogging) {
                throw new VfioException(DEVICE_ADD_WHILE_MIGRATING, null, null);
            }
            VfioDevice existing = devices.get(config.name());
            if (existing != null && existing.attached()) {
                throw new IllegalStateException("device " + config.name() + " is attached already");
            }
            VfioDevice dev = new VfioDevice(config);
            if (existing != null) {
                // A re-attach starts from the stale fields QEMU would have kept (Q-DET-3).
                dev.iommuDirtyTracking = existing.iommuDirtyTracking;
                dev.migration = existing.migration;
            }
            devices.put(config.name(), dev);
            attachDevice(dev);
        }
    }

    /**
     * Q-ATT-1: the order of one attach, with its rollback (Q-ATT-10). The host IOMMU device is realized before the
     * containers are tried, or after the device is in one (Q-EV-2, {@link HostIommuRealize}); then the vIOMMU takes
     * the device or refuses it ({@link #setIommuDevice}), then the migration decision.
     */
    private void attachDevice(VfioDevice dev) {
        try {
            dev.bound = backend.bind(dev.config.ref());
        } catch (IommufdException e) {
            throw VfioException.of("error bind device " + dev.name() + " to iommufd", e);
        }
        dev.probeKey = profile.hwptPlacement() != HwptPlacement.NEWEST_FIRST_PROBE_CACHE
                || dev.bound.iommuInstance() == null || dev.bound.group() == null ? -1
                : probeKeys.computeIfAbsent(dev.bound.iommuInstance() + '\0' + dev.bound.group(), k -> probeKeys.size());
        AddressSpace space = getAddressSpace(dev.config.addressSpaceId());
        boolean realizeFirst = profile.hostIommuRealize().realizesBeforeAttach();
        try {
            if (!dev.mdev() && realizeFirst) {
                realizeHostIommuDevice(dev);
            }
            attachToSomeContainer(dev, space);
            if (!dev.mdev() && !realizeFirst) {
                realizeAfterAttach(dev);
            }
        } catch (RuntimeException e) {
            putAddressSpace(space);
            unbindQuietly(dev);
            dev.bound = null;
            profile.orphanHandling().afterRelease(this::reclaimOrphansLocked);
            throw e;
        }
        // Q-ATT-1 step 7: device lists.
        dev.container.devices.add(0, dev);
        attachedDevices.add(0, dev);
        try {
            setIommuDevice(dev);
            realizeMigration(dev);
        } catch (RuntimeException e) {
            detachDevice(dev);
            throw e;
        }
    }

    /** Q-ATT-1 step 4: GET_HW_INFO into the HostIOMMUDevice ("Failed to get hardware info"). */
    private void realizeHostIommuDevice(VfioDevice dev) {
        try {
            dev.hiod = backend.getHwInfo(dev.devId());
        } catch (IommufdException e) {
            throw VfioException.of(HW_INFO_FAILED, e);
        }
    }

    /**
     * Q-EV-2 (c45d88b8a2, QEMU 10.1): the HostIOMMUDevice realized once the device is in a container whose memory
     * listener is registered; a failure ({@code err_hiod_realize}) detaches the device from its HWPT (freeing it if it
     * is left empty) and destroys the container if no device is left in it (its mappings, then its IOAS).
     */
    private void realizeAfterAttach(VfioDevice dev) {
        try {
            realizeHostIommuDevice(dev);
        } catch (RuntimeException e) {
            Container c = dev.container;
            detachFromContainer(dev, c);
            dev.container = null;
            destroyContainerIfEmpty(c);
            throw e;
        }
    }

    /**
     * QEMU's {@code pci_device_set_iommu_device}, after the attach and before the migration decision: the vIOMMU
     * takes the host device or refuses it ({@link ViommuModels}: intel-iommu with {@code x-flts} before 11.0). A
     * refusal fails the realize ({@value #SET_VIOMMU_PREFIX}...), and the caller detaches the device again. An mdev
     * has no host IOMMU device and is never asked.
     */
    private void setIommuDevice(VfioDevice dev) {
        if (dev.mdev() || dev.config.viommuKind() == ViommuKind.NONE) {
            return;
        }
        String refusal = profile.viommuModels().setIommuDeviceRefusal(dev.config.viommuKind());
        if (refusal != null) {
            throw new VfioException(SET_VIOMMU_PREFIX + refusal, null, null);
        }
    }

    /**
     * Q-ATT-1 steps 5 and 6, Q-ATT-7: each existing container of the space, newest first (failures swallowed),
     * else a new container at the head of the list.
     */
    private void attachToSomeContainer(VfioDevice dev, AddressSpace space) {
        for (Container c : List.copyOf(space.containers)) {
            if (profile.containerPlacement().skips(dev, c)) {
                continue;
            }
            try {
                attachToContainer(dev, c);
                dev.container = c;
                return;
            } catch (VfioException e) {
                LOG.log(System.Logger.Level.DEBUG, "attach of " + dev.name() + " to IOAS " + c.ioasId + " failed: " + e.getMessage());
            }
        }
        int ioasId;
        try {
            ioasId = backend.ioasAlloc();
        } catch (IommufdException e) {
            throw VfioException.of("Failed to allocate ioas", e);
        }
        Container c = new Container(ioasId, nextSequence++, space, ContainerPlacement.dirtyCapable(dev),
                dev.config.viommuKind().translating());
        space.containers.add(0, c);
        try {
            attachToContainer(dev, c);
        } catch (RuntimeException e) {
            destroyContainerIfEmpty(c);
            throw e;
        }
        dev.container = c;
        try {
            registerMemoryListener(c);
        } catch (RuntimeException e) {
            // Q-ATT-11: DETACH, DESTROY the HWPT, unmap every section, DESTROY the IOAS.
            detachFromContainer(dev, c);
            dev.container = null;
            destroyContainerIfEmpty(c);
            throw e;
        }
    }

    /** QEMU's {@code iommufd_cdev_attach_container}: the mdev path (Q-ATT-9) or autodomains (Q-ATT-2 to Q-ATT-6). */
    private void attachToContainer(VfioDevice dev, Container c) {
        if (dev.mdev()) {
            attachMdev(dev, c);
        } else {
            autodomains.get(dev, c);
        }
    }

    /** Q-ATT-9: an mdev goes straight onto the IOAS; no HWPT of ours, no flag, no warning. */
    private void attachMdev(VfioDevice dev, Container c) {
        try {
            backend.attach(dev.devId(), c.ioasId);
        } catch (IommufdException e) {
            throw VfioException.of("error attach " + dev.name() + " to id=" + c.ioasId, e);
        }
        dev.hwpt = null;
        dev.iommuDirtyTracking = false;
    }

    /**
     * Q-ATT-11: a new container's memory listener maps every guest RAM section, ascending (FlatView order), read-only
     * ones included. A failed IOAS_MAP is remembered (the first only) and the remaining sections are still mapped;
     * the attach then fails with it ("memory listener initialization failed"), and the caller undoes the attach. A
     * translating container's only section is the vIOMMU's IOMMU region: the listener registers QEMU's IOMMU notifier
     * and replays the guest's mappings into the IOAS, ascending; a failed map there is only reported, as the
     * notifier reports it.
     */
    private void registerMemoryListener(Container c) {
        c.listening = true;
        if (c.translating) {
            for (IovaRange m : mappingsOf(c.space.id)) {
                try {
                    backend.ioasMap(c.ioasId, m.iova(), m.length());
                } catch (IommufdException e) {
                    emit(new Diagnostic(Diagnostic.Level.ERROR, dmaMapText(c, m) + " failed: " + e.getMessage(), null));
                }
            }
            return;
        }
        VfioException first = null;
        for (IovaRange r : memory) {
            try {
                backend.ioasMap(c.ioasId, r.iova(), r.length());
            } catch (IommufdException e) {
                if (first == null) {
                    first = VfioException.of("memory listener initialization failed", e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    // ------------------------------------------------------------------------------------------------ detach

    /**
     * Unassigns a device: Q-DET-1 to Q-DET-3. A DETACH failure is reported, not fatal (Q-DET-2).
     *
     * @throws IllegalStateException when no device of that name is attached
     * @throws VfioException         with {@value #DEVICE_DEL_WHILE_MIGRATING} and no errno while dirty tracking is
     *                               started (Q-HP-1: a migration runs; no backend call is made)
     */
    public void detach(String name) {
        synchronized (lock) {
            VfioDevice dev = devices.get(name);
            if (dev == null || !dev.attached()) {
                throw new IllegalStateException("device " + name + " is not attached");
            }
            if (globalLogging) {
                throw new VfioException(DEVICE_DEL_WHILE_MIGRATING, null, null);
            }
            detachDevice(dev);
        }
    }

    /**
     * QEMU's {@code iommufd_cdev_detach}: lists, container, address space, unbind. It never stops DMA logging
     * (Q-DT-7): a device only leaves while no migration runs (Q-HP-1), or when its own realize fails.
     */
    private void detachDevice(VfioDevice dev) {
        Container c = dev.container;
        attachedDevices.remove(dev);
        exitMigration(dev);
        c.devices.remove(dev);
        detachFromContainer(dev, c);
        dev.container = null;
        destroyContainerIfEmpty(c);
        putAddressSpace(c.space);
        unbindQuietly(dev);
        profile.orphanHandling().afterRelease(this::reclaimOrphansLocked);
    }

    /**
     * Destroys again the objects whose IOMMU_DESTROY failed (a HWPT still held by a device whose DETACH failed is
     * free once the device is unbound), HWPTs before IOASes. QEMU never does; under {@link OrphanHandling#RECLAIM}
     * (the {@code safe} profile) it happens after every detach and every failed attach.
     *
     * @return the orphans still alive
     */
    public List<BackendObject> reclaimOrphans() {
        synchronized (lock) {
            reclaimOrphansLocked();
            return List.copyOf(orphans);
        }
    }

    private void reclaimOrphansLocked() {
        orphans.sort((a, b) -> a.type() == b.type() ? 0 : a.type() == BackendObject.Type.HWPT ? -1 : 1);
        orphans.removeIf(o -> {
            try {
                backend.destroy(o.id());
                return true;
            } catch (IommufdException e) {
                return false;
            }
        });
    }

    /** QEMU's {@code iommufd_cdev_detach_container}: DETACH (Q-DET-2), then leave the HWPT (Q-DET-1). */
    private void detachFromContainer(VfioDevice dev, Container c) {
        try {
            backend.detach(dev.devId());
        } catch (IommufdException e) {
            emit(new Diagnostic(Diagnostic.Level.ERROR, "detach " + dev.name() + " from IOAS id=" + c.ioasId
                    + " failed: " + e.getMessage(), dev.name()));
        }
        if (dev.hwpt != null) {
            autodomains.put(dev, c);
        }
    }

    /** Q-DET-1: an IOAS with no device left is unmapped and destroyed, and its container dropped. */
    private void destroyContainerIfEmpty(Container c) {
        if (!c.devices.isEmpty() || !c.space.containers.contains(c)) {
            return;
        }
        unmapAll(c);
        try {
            backend.destroy(c.ioasId);
        } catch (IommufdException e) {
            LOG.log(System.Logger.Level.DEBUG, "destroy of IOAS " + c.ioasId + " failed: " + e.getMessage());
            orphans.add(new BackendObject(BackendObject.Type.IOAS, c.ioasId));
        }
        c.space.containers.remove(c);
    }

    /**
     * The memory listener's unregistration: every guest RAM section is unmapped, ascending, failures only traced
     * (a section a failed registration never mapped answers ENOENT, Q-ATT-11). A translating container's IOMMU
     * region is 2^64 bytes: it is unmapped at once, as the profile's {@link UnmapAll} does it (Q-EV-9), failures only
     * reported. Nothing for a container whose listener was never registered (its device's attach failed first).
     */
    private void unmapAll(Container c) {
        if (!c.listening) {
            return;
        }
        if (c.translating) {
            for (IommufdException e : profile.unmapAll().unmap(backend, c.ioasId)) {
                emit(new Diagnostic(Diagnostic.Level.ERROR, "vfio_container_dma_unmap(ioas " + c.ioasId
                        + ", unmap all) = " + e.errno(), null));
            }
        } else {
            for (IovaRange r : memory) {
                unmapQuietly(c, r);
            }
        }
        c.listening = false;
    }

    private void unmapQuietly(Container c, IovaRange r) {
        try {
            backend.ioasUnmap(c.ioasId, r.iova(), r.length());
        } catch (IommufdException e) {
            LOG.log(System.Logger.Level.DEBUG, "unmap of " + r + " from IOAS " + c.ioasId + " failed: " + e.getMessage());
        }
    }

    private void unbindQuietly(VfioDevice dev) {
        try {
            backend.unbind(dev.devId());
        } catch (IommufdException e) {
            emit(new Diagnostic(Diagnostic.Level.ERROR, "unbind of " + dev.name() + " failed: " + e.getMessage(), dev.name()));
        }
    }

    private AddressSpace getAddressSpace(String id) {
        for (AddressSpace s : spaces) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        AddressSpace s = new AddressSpace(id);
        spaces.add(s);
        return s;
    }

    private void putAddressSpace(AddressSpace s) {
        if (s.containers.isEmpty()) {
            spaces.remove(s);
        }
    }

    // ------------------------------------------------------------------------------------------------ migration

    /**
     * Section 5: the migration decision at realize, and the blockers it adds (Q-MIG-4's VM-wide one first, then the
     * device's own); a fatal row (enable-migration=on) fails the attach.
     */
    private void realizeMigration(VfioDevice dev) {
        MigrationRules.Outcome o = MigrationRules.decide(dev, migratable, profile);
        dev.migrationInitialized = o.migrationInitialized();
        migratable.add(dev);
        dev.vfDirtyPagesSupported = o.migrationInitialized() && dev.bound.features().dmaLogging();
        dev.migration = o.decision();
        for (String w : o.warnings()) {
            emit(new Diagnostic(Diagnostic.Level.WARNING, w, dev.name()));
        }
        if (o.addsP2pBlocker()) {
            migratable.addP2pBlocker();
            blockers.add(new Blocker(null, MigrationRules.MULTIPLE));
        }
        if (o.deviceBlocker() != null) {
            blockers.add(new Blocker(dev, o.deviceBlocker()));
        }
        if (o.decision().fatal()) {
            throw new VfioException(o.decision().message(), null, null);
        }
    }

    /**
     * QEMU's {@code vfio_migration_exit} at unplug (and the deinit of a realize that failed): the device no longer
     * counts for Q-MIG-4, the VM-wide blocker goes once the devices left are supported, and the device's own blocker
     * goes.
     */
    private void exitMigration(VfioDevice dev) {
        migratable.remove(dev);
        if (migratable.unblockIfSupported()) {
            blockers.removeIf(b -> b.owner() == null);
        }
        blockers.removeIf(b -> b.owner() == dev);
    }

    /** A migration blocker: its text, and the device whose realize added it (null for Q-MIG-4's VM-wide one). */
    private record Blocker(VfioDevice owner, String text) {
    }

    /**
     * QEMU's migration blockers now, oldest first, as {@code query-migrate} lists them ({@code blocked-reasons}): each
     * attached device's own blocker (section 5) and Q-MIG-4's VM-wide one, in the order they were added. A migration
     * is refused while this is not empty, with the newest one's text.
     */
    public List<String> migrationBlockers() {
        synchronized (lock) {
            return blockers.stream().map(Blocker::text).toList();
        }
    }

    // ------------------------------------------------------------------------------------------------ memory

    /**
     * Adds guest RAM {@code [iova, iova + length)}: IOAS_MAP into every container. A failure unmaps it again
     * from the containers it reached and throws.
     *
     * @throws IllegalArgumentException before any backend call, for a range that overlaps guest RAM already
     *                                  added or goes past the 52-bit guest physical address space
     */
    public void mapMemory(long iova, long length) {
        mapMemory(iova, length, false);
    }

    /**
     * Adds guest memory {@code [iova, iova + length)}, read-only (ROM) when {@code readOnly}: IOAS_MAP into every
     * container whose address space holds guest RAM (not into a translating vIOMMU's). QEMU maps a read-only section
     * without {@code IOMMU_IOAS_MAP_WRITEABLE}; the backend API maps every range writable, so a backend sees the same
     * call either way, and no device may write a read-only range. Whether read-only memory is synced and logged is
     * the profile's {@link ReadOnlySections} (Q-EV-12). A failure unmaps it again from the containers it reached and
     * throws.
     *
     * @throws IllegalArgumentException before any backend call, for a range that overlaps guest RAM already
     *                                  added or goes past the 52-bit guest physical address space
     */
    public void mapMemory(long iova, long length, boolean readOnly) {
        IovaRange r = new IovaRange(iova, length);
        if (Long.compareUnsigned(r.last(), MAX_GUEST_ADDRESS) > 0) {
            throw new IllegalArgumentException("guest memory " + r + ": iova + length goes past the 52-bit guest "
                    + "physical address space (x86-64 and arm64 guests have at most 52 address bits)");
        }
        synchronized (lock) {
            for (IovaRange m : memory) {
                if (r.intersection(m) != null) {
                    throw new IllegalArgumentException("guest memory " + r + " overlaps guest memory " + m
                            + " mapped already");
                }
            }
            if (profile.tracker().fixesMemoryWhileLogging() && globalLogging) {
                throw new IllegalStateException("guest memory cannot grow during a dirty-tracking session under profile "
                        + profile.name() + ": DMA logging ranges are fixed at start");
            }
            List<Container> done = new ArrayList<>();
            for (Container c : ramContainersOldestFirst()) {
                try {
                    backend.ioasMap(c.ioasId, iova, length);
                    done.add(c);
                } catch (IommufdException e) {
                    for (Container d : done) {
                        unmapQuietly(d, r);
                    }
                    throw VfioException.of(dmaMapText(c, r) + " failed", e);
                }
            }
            addInAddressOrder(memory, r);
            if (readOnly) {
                this.readOnly.add(r);
            }
        }
    }

    /**
     * Adds {@code r} to {@code ranges} in ascending guest address: guest memory as QEMU's FlatView orders its
     * sections, a vIOMMU's mappings as its IOTLB replay walks them.
     */
    private static void addInAddressOrder(List<IovaRange> ranges, IovaRange r) {
        int i = 0;
        while (i < ranges.size() && Long.compareUnsigned(ranges.get(i).iova(), r.iova()) < 0) {
            i++;
        }
        ranges.add(i, r);
    }

    /**
     * Removes guest RAM: QEMU's {@code vfio_listener_region_del} in every container that maps guest RAM; failures are
     * reported, not fatal. While dirty logging is on, the profile's {@link RegionDelIotlb} may pass an identity IOTLB
     * entry (Q-EV-10; not for read-only memory the {@link ReadOnlySections} leave out, Q-EV-12), with which the
     * unmap reads the range's dirty bits first ({@link DirtyBitsOnUnmap}, Q-EV-5).
     */
    public void unmapMemory(long iova, long length) {
        IovaRange r = new IovaRange(iova, length);
        synchronized (lock) {
            if (!memory.remove(r)) {
                throw new IllegalArgumentException("no guest memory range " + r + " was mapped");
            }
            boolean wasReadOnly = readOnly.remove(r);
            boolean iotlb = profile.regionDelIotlb().passes(globalLogging) && profile.readOnlySections().tracked(wasReadOnly);
            for (Container c : ramContainersOldestFirst()) {
                VfioException failure = dmaUnmap(c, r, iotlb);
                if (failure != null) {
                    emit(new Diagnostic(Diagnostic.Level.ERROR, dmaUnmapText(c, r) + " = " + failure.errno(), null));
                }
            }
        }
    }

    /**
     * QEMU's {@code iommufd_cdev_unmap} of {@code r} from {@code c}, with or without an IOTLB entry. Without one, or
     * before the container's tracking has started, or under {@link DirtyBitsOnUnmap#DROPPED}: IOAS_UNMAP only. With
     * one once tracking has started, under {@link DirtyBitsOnUnmap#READ} (Q-EV-5): with the IOMMU tracker the range is
     * queried with NO_CLEAR first (a failure reported), unmapped even if that failed, and the unmap's error returned,
     * else the query's; with the device tracker (or none) it is unmapped first and then queried with flags 0. The
     * dirty runs found go to the dirty listeners. {@code ENOENT} from the unmap is success (QEMU's
     * {@code iommufd_backend_unmap_dma}: the vIOMMU unmaps what was never mapped).
     *
     * @return the failure (the errno of the call that failed), or null
     */
    private VfioException dmaUnmap(Container c, IovaRange r, boolean iotlb) {
        List<VfioDevice> devs = List.copyOf(c.devices);
        boolean sync = iotlb && profile.dirtyBitsOnUnmap().read() && DirtyTracking.trackingStarted(c, devs);
        if (sync && profile.tracker().readsIommuBeforeUnmap(c, devs)) {
            VfioException queried = reportQuery(dirtyTracking.query(c, devs, r, true));
            VfioException unmapped = unmapOnce(c, r);
            return unmapped != null ? unmapped : queried;
        }
        VfioException unmapped = unmapOnce(c, r);
        if (unmapped != null || !sync) {
            return unmapped;
        }
        return reportQuery(dirtyTracking.query(c, devs, r, false));
    }

    private VfioException unmapOnce(Container c, IovaRange r) {
        try {
            backend.ioasUnmap(c.ioasId, r.iova(), r.length());
            return null;
        } catch (IommufdException e) {
            return e.errno() == io.github.iommufd4j.api.Errno.ENOENT ? null : VfioException.of(dmaUnmapText(c, r), e);
        }
    }

    /** Sends a query's runs to the dirty listeners, reports its failure; returns the failure or null. */
    private VfioException reportQuery(DirtyTracking.Query q) {
        for (IovaRange run : q.runs()) {
            DirtyRun reported = new DirtyRun(run, q.perpetual());
            for (Consumer<DirtyRun> l : dirtyListeners) {
                l.accept(reported);
            }
        }
        if (q.failure() != null) {
            emit(new Diagnostic(Diagnostic.Level.ERROR, q.failure().qemuMessage(), null));
        }
        return q.failure();
    }

    private static String dmaUnmapText(Container c, IovaRange r) {
        return "vfio_container_dma_unmap(ioas " + c.ioasId + ", iova 0x" + Long.toHexString(r.iova()) + ", size 0x"
                + Long.toHexString(r.length()) + ")";
    }

    private static String dmaMapText(Container c, IovaRange r) {
        return "vfio_container_dma_map(ioas " + c.ioasId + ", iova 0x" + Long.toHexString(r.iova()) + ", size 0x"
                + Long.toHexString(r.length()) + ")";
    }

    /** Read-only guest memory ranges (ROM), ascending. */
    public List<IovaRange> readOnlyMemory() {
        synchronized (lock) {
            return memory.stream().filter(readOnly::contains).toList();
        }
    }

    /** The ranges DMA logging covers ({@code vfio_dirty_tracking_init}): guest memory the {@link ReadOnlySections} track. */
    private List<IovaRange> dmaLoggingRanges() {
        return memory.stream().filter(m -> profile.readOnlySections().tracked(readOnly.contains(m))).toList();
    }

    // ------------------------------------------------------------------------------------------------ vIOMMU

    /**
     * The guest maps {@code [iova, iova + length)} of its RAM, 1:1, in the vIOMMU {@code device} sits behind (a
     * translating {@link ViommuKind#INTEL_IOMMU}): one IOTLB entry, which QEMU's MAP notifier shadows into the device's
     * IOAS ({@code vfio_iommu_map_notify}: IOAS_MAP). The mapping is the guest's and stays when the map fails (QEMU
     * only reports the failure; the failure is thrown here) or the device is detached (it is replayed into the next
     * container, {@link #registerMemoryListener}).
     *
     * @throws IllegalStateException    when the device was never attached, or is not behind a translating vIOMMU
     * @throws IllegalArgumentException before any call, when the range is not one IOTLB entry (a power-of-two length
     *                                  of at least a page, aligned to it), is not writable guest memory, or overlaps a
     *                                  mapping of that vIOMMU
     */
    public void viommuMap(String device, long iova, long length) {
        IovaRange r = new IovaRange(iova, length);
        synchronized (lock) {
            VfioDevice dev = translatingDevice(device);
            if (Long.bitCount(length) != 1 || length < pageSize || (iova & (length - 1)) != 0) {
                throw new IllegalArgumentException("vIOMMU mapping " + r + " of " + device + " is not one IOTLB entry;"
                        + " expected a power-of-two length of at least the page size 0x" + Long.toHexString(pageSize)
                        + " and an iova aligned to it");
            }
            if (!insideWritableMemory(r)) {
                throw new IllegalArgumentException("vIOMMU mapping " + r + " of " + device + " is not writable guest"
                        + " memory; the guest maps its RAM 1:1 (iova = guest address) in "
                        + memory.stream().filter(m -> !readOnly.contains(m)).toList());
            }
            List<IovaRange> mine = viommuMappings.computeIfAbsent(dev.config.addressSpaceId(), k -> new ArrayList<>());
            for (IovaRange m : mine) {
                if (r.intersection(m) != null) {
                    throw new IllegalArgumentException("vIOMMU mapping " + r + " of " + device + " overlaps its mapping " + m);
                }
            }
            addInAddressOrder(mine, r);
            if (dev.attached() && dev.container.listening) {
                try {
                    backend.ioasMap(dev.container.ioasId, iova, length);
                } catch (IommufdException e) {
                    VfioException failure = VfioException.of(dmaMapText(dev.container, r) + " failed", e);
                    emit(new Diagnostic(Diagnostic.Level.ERROR, failure.qemuMessage() + ": " + e.getMessage(), device));
                    throw failure;
                }
            }
        }
    }

    /**
     * The guest unmaps its vIOMMU mapping {@code [iova, iova + length)} of {@code device}: QEMU's UNMAP notifier calls
     * the iommufd unmap with the IOTLB entry ({@link #dmaUnmap}: Q-EV-5 decides whether the range's dirty bits are
     * read first). A failure is reported and thrown (QEMU fails a running migration with it); the mapping is gone
     * either way.
     *
     * @throws IllegalStateException    when the device was never attached, or is not behind a translating vIOMMU
     * @throws IllegalArgumentException when the vIOMMU has no mapping of exactly that range
     */
    public void viommuUnmap(String device, long iova, long length) {
        IovaRange r = new IovaRange(iova, length);
        synchronized (lock) {
            VfioDevice dev = translatingDevice(device);
            List<IovaRange> mine = viommuMappings.getOrDefault(dev.config.addressSpaceId(), List.of());
            if (!mine.contains(r)) {
                throw new IllegalArgumentException("the vIOMMU of " + device + " has no mapping " + r + "; its mappings: "
                        + mine);
            }
            viommuMappings.get(dev.config.addressSpaceId()).remove(r);
            if (dev.attached() && dev.container.listening) {
                VfioException failure = dmaUnmap(dev.container, r, true);
                if (failure != null) {
                    VfioException thrown = new VfioException(dmaUnmapText(dev.container, r) + " = " + failure.errno(),
                            failure.errno(), failure);
                    emit(new Diagnostic(Diagnostic.Level.ERROR, thrown.qemuMessage(), device));
                    throw thrown;
                }
            }
        }
    }

    /** The guest's vIOMMU mappings for {@code device} (empty when it is behind no translating vIOMMU), ascending. */
    public List<IovaRange> viommuMappings(String device) {
        synchronized (lock) {
            VfioDevice dev = devices.get(device);
            return dev == null ? List.of() : mappingsOf(dev.config.addressSpaceId());
        }
    }

    private List<IovaRange> mappingsOf(String addressSpaceId) {
        return List.copyOf(viommuMappings.getOrDefault(addressSpaceId, List.of()));
    }

    private VfioDevice translatingDevice(String device) {
        VfioDevice dev = devices.get(device);
        if (dev == null) {
            throw new IllegalStateException("device " + device + " was never attached: its vIOMMU is not known");
        }
        if (!dev.config.viommuKind().translating()) {
            throw new IllegalStateException("device " + device + " is behind no translating vIOMMU (vIOMMU kind "
                    + dev.config.viommuKind() + "); only intel-iommu, which the guest translates through, has mappings");
        }
        return dev;
    }

    private boolean insideWritableMemory(IovaRange r) {
        for (IovaRange m : memory) {
            if (!readOnly.contains(m) && Long.compareUnsigned(m.iova(), r.iova()) <= 0
                    && Long.compareUnsigned(r.last(), m.last()) <= 0) {
                return true;
            }
        }
        return false;
    }

    /** Guest RAM ranges, ascending by address (QEMU's FlatView order). */
    public List<IovaRange> memory() {
        synchronized (lock) {
            return List.copyOf(memory);
        }
    }

    // ------------------------------------------------------------------------------------------------ dirty tracking

    /**
     * QEMU's {@code log_global_start}: starts each container's tracker, oldest container first (listener order,
     * Q-DT-6); on a failure the containers that log are stopped again in reverse, tracking is off, and the start
     * fails with {@code vfio: Could not start dirty page tracking - ...}. A start while tracking is started makes
     * no call and succeeds (Q-DT-7: QEMU's memory layer never passes it to VFIO).
     */
    public void startDirtyTracking() {
        synchronized (lock) {
            if (globalLogging) {
                return;
            }
            List<Container> containers = allContainersOldestFirst();
            for (int i = 0; i < containers.size(); i++) {
                Container c = containers.get(i);
                try {
                    dirtyTracking.start(c, List.copyOf(c.devices));
                    c.loggingStarted = true;
                } catch (VfioException e) {
                    // The failed container's tracker was rolled back by the start itself (Q-DT-2, DMA logging);
                    // every other one that logs, started by this call or an earlier one, is stopped in reverse:
                    // a failed start leaves tracking off everywhere, as a failed migration start does.
                    c.loggingStarted = false;
                    for (int j = containers.size() - 1; j >= 0; j--) {
                        if (containers.get(j).loggingStarted) {
                            stopContainer(containers.get(j));
                        }
                    }
                    globalLogging = false;
                    throw e;
                }
            }
            globalLogging = true;
        }
    }

    /**
     * QEMU's {@code log_global_stop}: stops each container's tracker, newest container first (reverse listener
     * order, Q-DT-6). Failures do not stop the others; the first one is thrown at the end
     * ({@code vfio: Could not stop dirty page tracking - ...}).
     *
     * @throws VfioException with {@value #NOT_STARTED} and no errno, and no backend call, when tracking is not
     *                       started (Q-DT-7: QEMU only stops logging that is on)
     */
    public void stopDirtyTracking() {
        synchronized (lock) {
            stopLocked(profile.tracker().flushesBeforeStop());
        }
    }

    /**
     * {@code log_global_stop} at the end of a migration, as {@link #stopDirtyTracking()} but never with a tracker
     * choice's flush: the migration's final sync ran with the VM and its devices stopped, so nothing was written
     * since, and a failed migration's pages reach no destination. A flush here would copy again what the final
     * sync copied.
     *
     * @throws VfioException as {@link #stopDirtyTracking()}
     */
    public void stopDirtyTrackingAfterMigration() {
        synchronized (lock) {
            stopLocked(false);
        }
    }

    /** Q-DT-7, the flush if asked, then {@code log_global_stop} over the containers newest first (Q-DT-6). */
    private void stopLocked(boolean flush) {
        if (!globalLogging) {
            throw new VfioException(NOT_STARTED, null, null);
        }
        if (flush) {
            IovaRange all = wholeMemory();
            VfioException failure = all == null ? null : syncLocked(all).failure();
            if (failure != null) {
                throw failure;
            }
        }
        globalLogging = false;
        VfioException first = null;
        for (Container c : allContainersNewestFirst()) {
            try {
                dirtyTracking.stop(c, List.copyOf(c.devices));
            } catch (VfioException e) {
                emit(new Diagnostic(Diagnostic.Level.ERROR, e.qemuMessage(), null));
                if (first == null) {
                    first = e;
                }
            } finally {
                c.loggingStarted = false;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private void stopContainer(Container c) {
        try {
            dirtyTracking.stop(c, List.copyOf(c.devices));
        } catch (VfioException e) {
            emit(new Diagnostic(Diagnostic.Level.ERROR, e.qemuMessage(), null));
        }
        c.loggingStarted = false;
    }

    /**
     * QEMU's {@code log_sync} over {@code [iova, iova + length)}: for each container with logging on, each guest
     * RAM range in the window is queried with the container's tracker (Q-DT-4). Returns the pages reported dirty,
     * as runs. A container's failure is thrown after the other containers were synced; the pages of the failed
     * query are not reported (Q-DT-3).
     */
    public SyncResult sync(long iova, long length) {
        IovaRange window = new IovaRange(iova, length);
        synchronized (lock) {
            return syncLocked(window);
        }
    }

    /** {@link #sync} over the smallest window holding all guest memory (nothing when there is none). */
    public SyncResult syncAllMemory() {
        synchronized (lock) {
            IovaRange all = wholeMemory();
            return all == null ? new SyncResult(List.of(), null) : syncLocked(all);
        }
    }

    private SyncResult syncLocked(IovaRange window) {
        List<IovaRange> reported = new ArrayList<>();
        VfioException first = null;
        for (Container c : allContainersOldestFirst()) {
            VfioException failure = syncContainer(c, window, reported);
            if (first == null) {
                first = failure;
            }
        }
        return new SyncResult(List.copyOf(reported), first);
    }

    /**
     * QEMU's {@code vfio_listener_log_sync} on {@code c}, if the profile's {@link LogSyncGate} lets it (Q-EV-7): each
     * guest RAM range of {@code window}, read-only ones only if the {@link ReadOnlySections} track them (Q-EV-12), is
     * queried; a translating container replays the guest's vIOMMU mappings that meet the window instead and queries
     * each whole ({@code vfio_sync_iommu_dirty_bitmap}). Runs go to the listeners and {@code out}.
     */
    private VfioException syncContainer(Container c, IovaRange window, List<IovaRange> out) {
        if (!c.loggingStarted || !profile.logSyncGate().syncs(c, c.devices)) {
            return null;
        }
        VfioException first = null;
        List<IovaRange> parts = new ArrayList<>();
        if (c.translating) {
            for (IovaRange m : mappingsOf(c.space.id)) {
                if (m.intersection(window) != null) {
                    parts.add(m);
                }
            }
        } else {
            for (IovaRange r : memory) {
                IovaRange part = r.intersection(window);
                if (part != null && profile.readOnlySections().tracked(readOnly.contains(r))) {
                    parts.add(part);
                }
            }
        }
        for (IovaRange part : parts) {
            DirtyTracking.Query q = dirtyTracking.query(c, List.copyOf(c.devices), part, false);
            out.addAll(q.runs());
            VfioException failure = reportQuery(q);
            if (first == null) {
                first = failure;
            }
        }
        return first;
    }

    /** The smallest window holding all guest memory, or null when there is none. */
    private IovaRange wholeMemory() {
        if (memory.isEmpty()) {
            return null;
        }
        long start = Long.MAX_VALUE;
        long end = 0;
        for (IovaRange m : memory) {
            start = Math.min(start, m.iova());
            end = Math.max(end, m.iova() + m.length());
        }
        return new IovaRange(start, end - start);
    }

    /**
     * What a sync reported.
     *
     * @param dirtyRuns pages reported dirty, as IOVA ranges (perpetual dirty reports whole ranges)
     * @param failure   the first failure, or null
     */
    public record SyncResult(List<IovaRange> dirtyRuns, VfioException failure) {
    }

    /** Every container whose address space holds guest RAM (all but translating vIOMMUs'), in listener order. */
    private List<Container> ramContainersOldestFirst() {
        List<Container> all = allContainersOldestFirst();
        all.removeIf(c -> c.translating);
        return all;
    }

    /** Every container in memory-listener registration order (creation order). */
    private List<Container> allContainersOldestFirst() {
        List<Container> all = new ArrayList<>();
        for (AddressSpace s : spaces) {
            all.addAll(s.containers);
        }
        all.sort((a, b) -> Long.compare(a.sequence, b.sequence));
        return all;
    }

    /** Every container in reverse listener order: {@code log_global_stop}'s order (Q-DT-6). */
    private List<Container> allContainersNewestFirst() {
        List<Container> all = allContainersOldestFirst();
        Collections.reverse(all);
        return all;
    }

    // ------------------------------------------------------------------------------------------------ views

    /** An immutable snapshot of the whole state. */
    public Snapshots.Topology snapshot() {
        synchronized (lock) {
            List<Snapshots.AddressSpaceView> as = new ArrayList<>();
            for (AddressSpace s : spaces) {
                List<Snapshots.ContainerView> cs = new ArrayList<>();
                for (Container c : s.containers) {
                    List<Snapshots.HwptView> hs = new ArrayList<>();
                    for (Hwpt h : c.hwpts) {
                        hs.add(new Snapshots.HwptView(h.id, h.flags, names(h.devices)));
                    }
                    cs.add(new Snapshots.ContainerView(c.ioasId, c.sequence, c.dirtyPagesSupported, c.dirtyPagesStarted,
                            c.loggingStarted, List.copyOf(hs), names(c.devices)));
                }
                as.add(new Snapshots.AddressSpaceView(s.id, List.copyOf(cs)));
            }
            List<Snapshots.DeviceView> ds = new ArrayList<>();
            for (VfioDevice d : devices.values()) {
                boolean attached = d.attached();
                ds.add(new Snapshots.DeviceView(d.name(), attached, d.mdev(), attached ? d.container.ioasId : null,
                        attached && d.hwpt != null ? d.hwpt.id : null, d.iommuDirtyTracking, d.hiod, d.migration,
                        d.dmaLoggingStarted));
            }
            return new Snapshots.Topology(List.copyOf(as), List.copyOf(ds), List.copyOf(orphans));
        }
    }

    /** Whether global dirty logging is on. */
    public boolean dirtyTrackingStarted() {
        synchronized (lock) {
            return globalLogging;
        }
    }

    /** The bound device id of an attached device (for DMA simulation), or -1. */
    public int devId(String name) {
        synchronized (lock) {
            VfioDevice d = devices.get(name);
            return d != null && d.attached() ? d.devId() : -1;
        }
    }

    /** The devices attached now, by name, newest first. */
    public List<String> attachedDeviceNames() {
        synchronized (lock) {
            return names(attachedDevices);
        }
    }

    private static List<String> names(List<VfioDevice> list) {
        List<String> out = new ArrayList<>(list.size());
        for (VfioDevice d : list) {
            out.add(d.name());
        }
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return "VfioIommufd[" + backend.providerName() + ", " + profile.name() + "]";
    }
}
