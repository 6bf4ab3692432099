package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The objects of this backend's {@code /dev/iommu}, by the ids the kernel gave (the twin of backend-mock's
 * {@code ObjectTable}, which hands the ids out): IOASes and HWPTs the caller allocated, bound devices, the HWPT
 * each device is on and the HWPTs whose dirty tracking is on. The inventory lists them; objects a
 * device source makes for itself (the selftest parking IOAS and its auto domains) are never here. Not
 * thread-safe; {@link LinuxBackend} guards it.
 */
final class ObjectTable {
    private final Set<Integer> ioases = new LinkedHashSet<>();
    private final Set<Integer> hwpts = new LinkedHashSet<>();
    private final Map<Integer, SourceDevice> devices = new LinkedHashMap<>();
    /** The HWPT each attached device is on: one allocated here or an auto domain (K-ATT-4). */
    private final Map<Integer, Integer> attachedTo = new LinkedHashMap<>();
    private final Set<Integer> trackingOn = new LinkedHashSet<>();

    void ioasAllocated(int id) {
        ioases.add(id);
    }

    void hwptAllocated(int id) {
        hwpts.add(id);
    }

    /** {@code id} was destroyed; returns whether it was an IOAS of the caller's. */
    boolean destroyed(int id) {
        hwpts.remove(id);
        trackingOn.remove(id);
        return ioases.remove(id);
    }

    void bound(SourceDevice device) {
        devices.put(device.info().devId(), device);
    }

    SourceDevice device(int devId) {
        return devices.get(devId);
    }

    Collection<SourceDevice> devices() {
        return List.copyOf(devices.values());
    }

    void released(int devId) {
        devices.remove(devId);
        attachedTo.remove(devId);
    }

    void attached(int devId, int hwptId) {
        attachedTo.put(devId, hwptId);
    }

    void detached(int devId) {
        attachedTo.remove(devId);
    }

    /** The HWPT device {@code devId} is on, or null. */
    Integer hwptOf(int devId) {
        return attachedTo.get(devId);
    }

    void tracking(int hwptId, boolean on) {
        if (on) {
            trackingOn.add(hwptId);
        } else {
            trackingOn.remove(hwptId);
        }
    }

    /** Whether this backend switched dirty tracking on for {@code hwptId} (and not off again). */
    boolean tracking(int hwptId) {
        return trackingOn.contains(hwptId);
    }

    /** IOASes, HWPTs (auto domains while a device is on them) and devices, by id. */
    List<BackendObject> live() {
        List<BackendObject> out = new ArrayList<>();
        for (int id : ioases) {
            out.add(new BackendObject(BackendObject.Type.IOAS, id));
        }
        Set<Integer> liveHwpts = new LinkedHashSet<>(hwpts);
        liveHwpts.addAll(attachedTo.values()); // auto domains live while a device is on them
        for (int id : liveHwpts) {
            out.add(new BackendObject(BackendObject.Type.HWPT, id));
        }
        for (int id : devices.keySet()) {
            out.add(new BackendObject(BackendObject.Type.DEVICE, id));
        }
        out.sort(Comparator.comparingInt(BackendObject::id));
        return List.copyOf(out);
    }

    void clear() {
        ioases.clear();
        hwpts.clear();
        devices.clear();
        attachedTo.clear();
        trackingOn.clear();
    }
}
