package io.github.iommufd4j.api;

/**
 * An object alive in a backend.
 *
 * @param type its kind
 * @param id   its id
 */
public record BackendObject(Type type, int id) {
    /** Object kinds. */
    public enum Type { IOAS, HWPT, DEVICE }

    /** {@code "HWPT 4"}, as in the report's {@code leakedObjects}. */
    @Override
    public String toString() {
        return type + " " + id;
    }
}
