package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.IommuSpec;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A paging HWPT (an iommu_domain) over an IOAS: it maps every area of the IOAS. {@code auto} marks the kernel's
 * auto domain of an attach to an IOAS (K-ATT-4), which dies with its last device. Its dirty bits are the
 * {@link DirtyLog}'s.
 */
final class Hwpt extends MockObject {
    final Ioas ioas;
    final IommuSpec iommu;
    final boolean dirtyTracking;
    final boolean nestParent;
    final boolean auto;
    final Set<Device> devices = new LinkedHashSet<>();

    Hwpt(int id, Ioas ioas, IommuSpec iommu, boolean dirtyTracking, boolean nestParent, boolean auto) {
        super(id);
        this.ioas = ioas;
        this.iommu = iommu;
        this.dirtyTracking = dirtyTracking;
        this.nestParent = nestParent;
        this.auto = auto;
    }

    @Override
    BackendObject.Type type() {
        return BackendObject.Type.HWPT;
    }

    @Override
    String describe() {
        return (auto ? "auto-domain HWPT " : "HWPT ") + id;
    }
}
