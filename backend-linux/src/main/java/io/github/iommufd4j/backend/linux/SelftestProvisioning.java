package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.IommuSpec;

import java.util.Map;
import java.util.Optional;

/**
 * The selftest source's {@link DeviceProvisioning} (the twin of backend-mock's {@code MockProvisioning}): a spec
 * is checked against what the kernel's mock can stand for and kept; {@link SelftestSource#bind} makes the
 * device. Creating makes no kernel call.
 */
final class SelftestProvisioning implements DeviceProvisioning {
    private final SelftestSource source;
    private final Object lock;

    SelftestProvisioning(SelftestSource source, Object lock) {
        this.source = source;
        this.lock = lock;
    }

    @Override
    public Optional<String> cannotCreate(DeviceSpec spec) {
        synchronized (lock) {
            return cannotCreate(spec, source.specs().values(), source.hostPageSize(), source.vfLoggingDeclared());
        }
    }

    /** The selftest mock's fixed geometry: its aperture and an IOPTE size of half the host page. */
    @Override
    public IommuSpec iommu(String id, String family, boolean dirtyTracking, boolean nestParent) {
        return new IommuSpec(id, family, dirtyTracking, nestParent, SelftestSource.APERTURE_START,
                SelftestSource.APERTURE_LAST, source.iopteSize());
    }

    @Override
    public String createDevice(DeviceSpec spec) {
        synchronized (lock) {
            source.checkOpen();
            Map<String, DeviceSpec> specs = source.specs();
            if (specs.containsKey(spec.name())) {
                throw new IllegalArgumentException("a selftest device named '" + spec.name() + "' already exists");
            }
            Optional<String> why = cannotCreate(spec, specs.values(), source.hostPageSize(), source.vfLoggingDeclared());
            if (why.isPresent()) {
                throw new UnsupportedOperationException("cannot create selftest device " + spec.name() + ": " + why.get());
            }
            specs.put(spec.name(), spec);
            return spec.name();
        }
    }

    /** The scenario family that stands for Linux's arm-smmu-v3 driver (as the mock answers it: docs/reference/kernel-uapi.md, K-ALLOC-6). */
    static final String ARM_SMMU_V3 = "arm-smmu-v3";

    /**
     * Why the kernel's mock cannot stand for {@code spec}, given the devices already specified: it makes PCI-like
     * devices behind one IOMMU family that always accepts NEST_PARENT, with no DMA logging, the aperture
     * {@link SelftestSource#APERTURE_START} to {@link SelftestSource#APERTURE_LAST} and an IOPTE size of half the
     * host page. With {@code vfLoggingDeclared} a spec's VF dirty tracking is accepted as a declaration (reported as
     * given; DMA logging on the device answers ENOTTY).
     */
    static Optional<String> cannotCreate(DeviceSpec spec, Iterable<DeviceSpec> existing, long hostPageSize,
                                         boolean vfLoggingDeclared) {
        IommuSpec iommu = spec.iommu();
        if (spec.mdev()) {
            return Optional.of("the selftest mock makes PCI-like devices, not mediated devices");
        }
        if (spec.vfDirtyTracking() && !vfLoggingDeclared) {
            return Optional.of("the selftest mock has no VFIO device DMA logging (VF dirty tracking)");
        }
        if (!iommu.nestParent()) {
            return Optional.of("the selftest mock IOMMU always accepts NEST_PARENT; nestParent=false cannot be honoured");
        }
        if (iommu.family().equals(ARM_SMMU_V3)) {
            return Optional.of("family " + ARM_SMMU_V3 + " stands for Linux's arm-smmu-v3 driver, which refuses"
                    + " DIRTY_TRACKING with NEST_PARENT (EOPNOTSUPP); the selftest mock accepts both, so it cannot be one");
        }
        if (iommu.apertureStart() != SelftestSource.APERTURE_START || iommu.apertureLast() != SelftestSource.APERTURE_LAST) {
            return Optional.of("the selftest mock's aperture is fixed at [0x1000000, 0x7fffffff]");
        }
        if (iommu.iopteSize() != hostPageSize / 2) {
            return Optional.of("the selftest mock's IOPTE size is half the host page: " + hostPageSize / 2
                    + ", not " + iommu.iopteSize());
        }
        for (DeviceSpec other : existing) {
            if (!other.iommu().family().equals(iommu.family())) {
                return Optional.of("the selftest mock is one IOMMU family (" + other.iommu().family()
                        + " here); a second family " + iommu.family() + " cannot be made");
            }
        }
        return Optional.empty();
    }
}
