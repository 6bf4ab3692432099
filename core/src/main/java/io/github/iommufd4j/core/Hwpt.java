package io.github.iommufd4j.core;

import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HwptAllocFlag;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/** QEMU's {@code VFIOIOASHwpt}: a HWPT QEMU allocated. Guarded by the {@link VfioIommufd} lock. */
final class Hwpt {
    final int id;
    /** {@code hwpt_flags}: the flags QEMU asked for (never read back from the kernel). */
    final FlagSet<HwptAllocFlag> flags;
    final List<VfioDevice> devices = new ArrayList<>();
    /** Probe-cache keys ({@link VfioDevice#probeKey}) of devices known to answer EINVAL on this HWPT (null until one does). */
    private BitSet incompatible;

    Hwpt(int id, FlagSet<HwptAllocFlag> flags) {
        this.id = id;
        this.flags = flags;
    }

    /** {@code iommufd_hwpt_dirty_tracking()}: allocated with DIRTY_TRACKING. */
    boolean isDirtyTracking() {
        return flags.contains(HwptAllocFlag.DIRTY_TRACKING);
    }

    /** {@link HwptPlacement#NEWEST_FIRST_PROBE_CACHE}: a device with this key answered EINVAL here (null: no key). */
    boolean knownIncompatible(int probeKey) {
        return probeKey >= 0 && incompatible != null && incompatible.get(probeKey);
    }

    void rememberIncompatible(int probeKey) {
        if (probeKey >= 0) {
            if (incompatible == null) {
                incompatible = new BitSet();
            }
            incompatible.set(probeKey);
        }
    }

    static boolean isDirtyTracking(Hwpt hwpt) {
        return hwpt != null && hwpt.isDirtyTracking();
    }
}
