package io.github.iommufd4j.core;

import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;

/**
 * When QEMU reads the host IOMMU through a device ({@code IOMMU_GET_HW_INFO}) during an attach, and so where the
 * capabilities of the allocation flags (Q-ATT-3) come from ({@code docs/reference/qemu-rules.md}, Q-ATT-1 and
 * Q-EV-2). Asked by {@code VfioIommufd#attachDevice} (when to realize the {@code HostIOMMUDevice}) and by
 * {@code Autodomains#allocateHwpt} (which capabilities the new HWPT's flags follow).
 */
public enum HostIommuRealize {
    /**
     * QEMU 9.1 and 10.0 (Q-ATT-1 step 4): the {@code HostIOMMUDevice} is realized right after the bind, before any
     * container is tried; the allocation path reads its {@code caps.hw_caps}.
     */
    BEFORE_ATTACH {
        @Override
        boolean realizesBeforeAttach() {
            return true;
        }

        @Override
        HostIommuDevice capabilitiesForAllocation(IommufdBackend backend, VfioDevice dev) {
            return dev.hiod;
        }
    },

    /**
     * Q-EV-2 (QEMU 10.1): 436114cc43 "vfio/iommufd: Make a separate call to get IOMMU capabilities" reads
     * {@code IOMMU_GET_HW_INFO} on the allocation path of the HWPT search, just before {@code IOMMU_HWPT_ALLOC}, and
     * c45d88b8a2 "vfio/iommufd: Move realize() after attachment" realizes the {@code HostIOMMUDevice} (a second
     * {@code GET_HW_INFO}) once the device is in a container and the container's memory listener is registered. A
     * device that reuses a HWPT reads no hardware information before its attach; a failed realize unwinds the
     * attach (DETACH, the HWPT and, if the container is then empty, its mappings and IOAS).
     */
    AFTER_ATTACH {
        @Override
        boolean realizesBeforeAttach() {
            return false;
        }

        @Override
        HostIommuDevice capabilitiesForAllocation(IommufdBackend backend, VfioDevice dev) {
            try {
                return backend.getHwInfo(dev.devId());
            } catch (IommufdException e) {
                throw VfioException.of(VfioIommufd.HW_INFO_FAILED, e);
            }
        }
    };

    /** Whether the {@code HostIOMMUDevice} is realized before the device tries any container. */
    abstract boolean realizesBeforeAttach();

    /** The host IOMMU whose capabilities decide a new HWPT's flags for {@code dev} (may call the backend). */
    abstract HostIommuDevice capabilitiesForAllocation(IommufdBackend backend, VfioDevice dev);
}
