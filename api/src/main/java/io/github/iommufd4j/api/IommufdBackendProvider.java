package io.github.iommufd4j.api;

/**
 * A kind of backend, found with {@link java.util.ServiceLoader} (register it with
 * {@code @AutoService(IommufdBackendProvider.class)}). Discovery never fails: a provider that cannot run here
 * says so through {@link #availability()}.
 */
public interface IommufdBackendProvider {

    /**
     * The provider's name.
     *
     * @return a stable, short, lower-case name ({@code mock}, {@code linux}) used on command lines and in reports
     */
    String name();

    /**
     * What this backend is.
     *
     * @return one line
     */
    String description();

    /**
     * Whether {@link #open} can succeed on this machine, and if not why. Cheap; never throws.
     *
     * @return the availability
     */
    Availability availability();

    /**
     * Opens a backend.
     *
     * @param options the backend's options (its documentation lists the keys)
     * @return a fresh backend, closed by the caller
     * @throws IllegalArgumentException     for an option the backend does not know or a bad value
     * @throws BackendUnavailableException  when the backend cannot run here (the reason of {@link #availability()})
     */
    IommufdBackend open(BackendOptions options);
}
