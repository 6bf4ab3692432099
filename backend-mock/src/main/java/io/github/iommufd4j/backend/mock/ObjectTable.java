package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.IommuSpec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The objects of one open iommufd by id, and the ids themselves: K-ID-1 of {@code docs/reference/kernel-uapi.md}
 * (ids from 1, the lowest free id first, reused at once; IOAS, HWPT and DEVICE share the space; 0 is never an
 * id). Bound devices are also found by name. Not thread-safe; {@link MockKernel} guards it.
 */
final class ObjectTable {
    /**
     * The objects by id: ids are the lowest free ones, so they stay dense and an array indexed by id finds an object
     * in one step whatever the number of objects (a tree map took a walk of log n per lookup, several per call).
     */
    private MockObject[] byId = new MockObject[64];
    private int count;
    /** The ids in {@link #byId}, for the lowest free id in one word scan. */
    private final BitSet usedIds = new BitSet();
    private final Map<String, Device> boundByName = new HashMap<>();

    /** A new, empty IOAS under the lowest free id. */
    Ioas newIoas() {
        return register(new Ioas(lowestFreeId()));
    }

    /** A new HWPT on {@code ioas}, listed last among the IOAS's HWPTs. */
    Hwpt newHwpt(Ioas ioas, IommuSpec iommu, boolean dirtyTracking, boolean nestParent, boolean auto) {
        Hwpt hwpt = register(new Hwpt(lowestFreeId(), ioas, iommu, dirtyTracking, nestParent, auto));
        ioas.hwptAdded(hwpt);
        return hwpt;
    }

    /** A newly bound device. */
    Device newDevice(DeviceSpec spec) {
        Device dev = register(new Device(lowestFreeId(), spec));
        boundByName.put(spec.name(), dev);
        return dev;
    }

    /** Frees {@code obj}'s id (and, for a HWPT, takes it off its IOAS). */
    void remove(MockObject obj) {
        if (get(obj.id) == obj) {
            byId[obj.id] = null;
            count--;
            usedIds.clear(obj.id);
        }
        if (obj instanceof Hwpt h) {
            h.ioas.hwptRemoved(h);
        } else if (obj instanceof Device d) {
            boundByName.remove(d.name());
        }
    }

    MockObject get(int id) {
        return id > 0 && id < byId.length ? byId[id] : null;
    }

    Ioas ioas(int id) {
        return get(id) instanceof Ioas ioas ? ioas : null;
    }

    Hwpt hwpt(int id) {
        return get(id) instanceof Hwpt h ? h : null;
    }

    Device device(int id) {
        return get(id) instanceof Device d ? d : null;
    }

    /** The bound device named {@code name}, or null. */
    Device boundDevice(String name) {
        return boundByName.get(name);
    }

    /** Why {@code id} is not {@code wanted} ({@code "an IOAS"}): missing, 0, or another kind of object. */
    String describeMissing(int id, String wanted) {
        MockObject obj = get(id);
        if (obj == null) {
            return id == 0 ? "id 0 is never valid" : "no object has id " + id;
        }
        return "id " + id + " is " + obj.describe() + ", not " + wanted;
    }

    /** Every object alive, by id. */
    List<BackendObject> live() {
        List<BackendObject> out = new ArrayList<>(count);
        for (int id = usedIds.nextSetBit(1); id >= 0; id = usedIds.nextSetBit(id + 1)) {
            out.add(new BackendObject(byId[id].type(), id));
        }
        return List.copyOf(out);
    }

    void clear() {
        Arrays.fill(byId, null);
        count = 0;
        usedIds.clear();
        boundByName.clear();
    }

    private int lowestFreeId() {
        return usedIds.nextClearBit(1);
    }

    private <T extends MockObject> T register(T obj) {
        if (obj.id >= byId.length) {
            byId = Arrays.copyOf(byId, Math.max(byId.length * 2, obj.id + 1));
        }
        byId[obj.id] = obj;
        count++;
        usedIds.set(obj.id);
        return obj;
    }
}
