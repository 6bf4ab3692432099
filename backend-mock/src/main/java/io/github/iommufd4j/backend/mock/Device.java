package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.DeviceSpec;

/**
 * A bound device; for an mdev, the kernel's iommufd access object. A physical device sits on at most one HWPT,
 * an mdev uses at most one IOAS. Its DMA log is the {@link DirtyLog}'s.
 */
final class Device extends MockObject {
    final DeviceSpec spec;
    Hwpt hwpt;
    Ioas accessIoas;

    Device(int id, DeviceSpec spec) {
        super(id);
        this.spec = spec;
    }

    String name() {
        return spec.name();
    }

    /** The IOAS whose memory the device reaches: its HWPT's, or the one it uses as an access; null if none. */
    Ioas reachableIoas() {
        return hwpt != null ? hwpt.ioas : accessIoas;
    }

    @Override
    BackendObject.Type type() {
        return BackendObject.Type.DEVICE;
    }

    @Override
    String describe() {
        return "device " + name();
    }
}
