package io.github.iommufd4j.api;

/**
 * A kind of backend, found with {@link java.util.ServiceLoader} (register it with
 * {@code @AutoService(IommufdBackendProvider.class)}). Discovery never fails: a provider that cannot run here
 * says so through {@link #availability()}.
 */
public interface IommufdBackendProvider {

    /** A stable, short, lower-case name ({@code mock}, {@code linux}) used on command lines and in reports. */
    String name();

    /** One line on what this backend is. */
    String description();

    /** Whether {@link #open} can succeed on this machine, and if not why. Cheap; never throws. */
    Availability availability();

    /**
     * Opens a backend.
     *
     * @throws IllegalArgumentException     for an option the backend does not know or a bad value
     * @throws BackendUnavailableException  when the backend cannot run here (the reason of {@link #availability()})
     */
    IommufdBackend open(BackendOptions options);
}
