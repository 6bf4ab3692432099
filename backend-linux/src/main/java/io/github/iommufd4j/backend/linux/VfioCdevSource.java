package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdException;

import java.util.List;
import java.util.Set;

/**
 * {@code source=vfio}: VFIO cdevs of PCI devices bound to {@code vfio-pci}. A reference is a cdev path or a PCI
 * address, resolved through sysfs ({@link VfioDevices}); the IOMMU instance and group of the bound device are the
 * names of the PCI device's {@code iommu} and {@code iommu_group} links. No provisioning, no DMA simulation:
 * the devices are real.
 */
final class VfioCdevSource implements DeviceSource {
    private final KernelCalls kernel;
    private final VfioDevices vfio;
    private final List<String> configured;

    /** @param configured the {@code devices} option (empty: every cdev found) */
    VfioCdevSource(KernelCalls kernel, VfioDevices vfio, List<String> configured) {
        this.kernel = kernel;
        this.vfio = vfio;
        this.configured = List.copyOf(configured);
    }

    @Override
    public List<String> deviceRefs() {
        return configured.isEmpty() ? vfio.list() : configured;
    }

    @Override
    public Set<SourceKind> kinds() {
        return Set.of(SourceKind.VFIO_PCI);
    }

    @Override
    public SourceKind kindOf(String ref) {
        return SourceKind.VFIO_PCI;
    }

    @Override
    public SourceDevice bind(String ref) {
        VfioDevices.Resolved dev;
        try {
            dev = vfio.resolve(ref);
        } catch (IllegalArgumentException e) {
            throw new IommufdException(BackendOp.BIND, ref, Errno.ENOENT, Errno.ENOENT.number(), e.getMessage());
        }
        return VfioCdevDevice.bind(kernel, SourceKind.VFIO_PCI, ref, dev.cdev(), (devId, features) -> new BoundDevice(devId, dev.name(),
                false, features, vfio.iommuInstance(dev.pciAddress()), vfio.iommuGroup(dev.pciAddress())));
    }
}
