package io.github.iommufd4j.core;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import java.util.function.Consumer;

/**
 * QEMU's {@code iommufd_cdev_autodomains_get} and {@code _put}: which HWPT a device joins, or which one is
 * allocated for it, and with which flags (Q-ATT-2 to Q-ATT-6, Q-EV-2, Q-EV-3); leaving a HWPT and freeing it
 * (Q-DET-1).
 */
final class Autodomains {
    /** Q-ATT-3: the warning for a device on a non-dirty HWPT in a container that supports dirty pages. */
    static final String HETEROGENEOUS_WARNING = "IOMMU instance for device %s doesn't support dirty tracking";

    private final IommufdBackend backend;
    private final HwptPlacement placement;
    private final DirtyPagesUpkeep upkeep;
    private final HostIommuRealize realize;
    private final NestingParentRequest nesting;
    private final ViommuModels viommus;
    private final Consumer<Diagnostic> diagnostics;
    private final Consumer<BackendObject> orphans;

    Autodomains(IommufdBackend backend, Profile profile, Consumer<Diagnostic> diagnostics,
                Consumer<BackendObject> orphans) {
        this.backend = backend;
        this.placement = profile.hwptPlacement();
        this.upkeep = profile.dirtyPagesUpkeep();
        this.realize = profile.hostIommuRealize();
        this.nesting = profile.nestingParentRequest();
        this.viommus = profile.viommuModels();
        this.diagnostics = diagnostics;
        this.orphans = orphans;
    }

    /**
     * Q-ATT-2: try each HWPT of the container, newest first, that the {@link HwptPlacement} does not pass over;
     * EINVAL means "incompatible, try the next", any other errno stops the search; when none accepts, allocate
     * (Q-ATT-3).
     */
    void get(VfioDevice dev, Container c) {
        for (Hwpt hwpt : c.hwpts) { // not modified during the search: reuse returns, allocation comes after
            if (placement.skips(dev, hwpt)) {
                continue;
            }
            try {
                backend.attach(dev.devId(), hwpt.id);
            } catch (IommufdException e) {
                if (e.errno() == Errno.EINVAL) {
                    placement.incompatible(dev, hwpt);
                    continue;
                }
                throw VfioException.of("error attach " + dev.name() + " to id=" + hwpt.id, e);
            }
            reuseHwpt(dev, hwpt);
            return;
        }
        allocateHwpt(dev, c);
    }

    /** Q-ATT-4: reuse takes the HWPT's flag, not the device's capability; nothing else changes, no warning. */
    private void reuseHwpt(VfioDevice dev, Hwpt hwpt) {
        dev.hwpt = hwpt;
        hwpt.devices.add(0, dev);
        dev.iommuDirtyTracking = hwpt.isDirtyTracking();
    }

    /**
     * Q-ATT-3: allocate with DIRTY_TRACKING exactly when the IOMMU reports the capability, no retry without it;
     * attach; destroy the fresh HWPT if the attach fails; on success record, update {@code dirty_pages_supported}
     * (QEMU ORs it: {@link DirtyPagesUpkeep}) and warn for a non-dirty device in a dirty-capable container. The
     * capability comes from the realized host IOMMU device, or from a {@code GET_HW_INFO} made here (Q-EV-2,
     * {@link HostIommuRealize}); NEST_PARENT joins the flags when the vIOMMU wants it (Q-EV-3,
     * {@link NestingParentRequest}).
     */
    private void allocateHwpt(VfioDevice dev, Container c) {
        FlagSet<HwptAllocFlag> flags = allocationFlags(dev, realize.capabilitiesForAllocation(backend, dev));
        int hwptId;
        try {
            hwptId = backend.hwptAlloc(dev.devId(), c.ioasId, flags);
        } catch (IommufdException e) {
            throw VfioException.of("Failed to allocate hwpt", e);
        }
        Hwpt hwpt = new Hwpt(hwptId, flags);
        try {
            backend.attach(dev.devId(), hwpt.id);
        } catch (IommufdException e) {
            freeHwpt(hwpt);
            throw VfioException.of("error attach " + dev.name() + " to id=" + hwpt.id, e);
        }
        dev.hwpt = hwpt;
        dev.iommuDirtyTracking = hwpt.isDirtyTracking();
        hwpt.devices.add(0, dev);
        c.hwpts.add(0, hwpt);
        boolean wasSupported = c.dirtyPagesSupported;
        upkeep.allocated(c, dev);
        if (c.dirtyPagesSupported && !dev.iommuDirtyTracking) {
            warnHeterogeneous(dev);
        }
        placement.allocated(c, wasSupported, this::warnHeterogeneous);
    }

    private void warnHeterogeneous(VfioDevice dev) {
        diagnostics.accept(new Diagnostic(Diagnostic.Level.WARNING, String.format(HETEROGENEOUS_WARNING, dev.name()),
                dev.name()));
    }

    /**
     * Q-ATT-3: DIRTY_TRACKING iff {@code caps.hw_caps} has IOMMU_HW_CAP_DIRTY_TRACKING; VF tracking is not considered.
     * Q-EV-3: NEST_PARENT besides, when the {@link NestingParentRequest} asks the device's vIOMMU and it wants one
     * (the DIRTY_TRACKING flag stays: an IOMMU that cannot do both refuses the allocation, and there is no retry).
     */
    private FlagSet<HwptAllocFlag> allocationFlags(VfioDevice dev, HostIommuDevice caps) {
        FlagSet<HwptAllocFlag> flags = dirtyCapable(caps)
                ? HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING) : HwptAllocFlag.none();
        return nesting.requested(viommus, dev.config.viommuKind()) ? flags.with(HwptAllocFlag.NEST_PARENT) : flags;
    }

    /**
     * Q-ATT-3's capability test: whether a new HWPT for a device with these capabilities gets DIRTY_TRACKING (the
     * placements that decide by capability ask it of the realized host IOMMU device before the search).
     */
    static boolean dirtyCapable(HostIommuDevice caps) {
        return caps != null && caps.supportsDirtyTracking();
    }

    /** Q-DET-1: leave the HWPT; free it when no device is left on it. */
    void put(VfioDevice dev, Container c) {
        Hwpt hwpt = dev.hwpt;
        hwpt.devices.remove(dev);
        dev.hwpt = null;
        if (hwpt.devices.isEmpty()) {
            c.hwpts.remove(hwpt);
            freeHwpt(hwpt);
            upkeep.freed(c);
        }
    }

    /**
     * {@code iommufd_backend_free_id}: IOMMU_DESTROY, a failure only traced (as QEMU does); the HWPT is then an
     * orphan: alive in the kernel, forgotten by the VMM.
     */
    private void freeHwpt(Hwpt hwpt) {
        try {
            backend.destroy(hwpt.id);
        } catch (IommufdException e) {
            System.getLogger(Autodomains.class.getName()).log(System.Logger.Level.DEBUG,
                    "destroy of HWPT " + hwpt.id + " failed: " + e.getMessage());
            orphans.accept(new BackendObject(BackendObject.Type.HWPT, hwpt.id));
        }
    }
}
