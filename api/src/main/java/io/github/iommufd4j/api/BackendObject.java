package io.github.iommufd4j.api;

/**
 * An object alive in a backend.
 *
 * @param type its kind
 * @param id   its id
 */
public record BackendObject(Type type, int id) {
    /** Object kinds. */
    public enum Type {
        /** An I/O address space ({@code IOMMU_IOAS_ALLOC}). */
        IOAS,
        /** A hardware page table ({@code IOMMU_HWPT_ALLOC}, or an auto domain). */
        HWPT,
        /** A bound device ({@code VFIO_DEVICE_BIND_IOMMUFD}). */
        DEVICE
    }

    /** {@code "HWPT 4"}, as in the report's {@code leakedObjects}. */
    @Override
    public String toString() {
        return type + " " + id;
    }
}
