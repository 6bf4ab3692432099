package io.github.iommufd4j.api;

import java.util.Objects;

/**
 * Whether a backend can be opened on this machine, and if not, why, in words a person can act on
 * ({@code "/dev/iommu is missing: the kernel has no CONFIG_IOMMUFD or the module is not loaded"}).
 *
 * @param available whether {@link IommufdBackendProvider#open} can succeed
 * @param reason    null when available
 */
public record Availability(boolean available, String reason) {
    private static final Availability AVAILABLE = new Availability(true, null);

    /**
     * An availability; an unavailable one must say why.
     *
     * @param available whether {@link IommufdBackendProvider#open} can succeed
     * @param reason    why not, null when available
     * @throws NullPointerException when unavailable without a reason
     */
    public Availability {
        if (!available) {
            Objects.requireNonNull(reason, "an unavailable backend must say why");
        }
    }

    /**
     * Available.
     *
     * @return the availability of a backend that can be opened
     */
    public static Availability yes() {
        return AVAILABLE;
    }

    /**
     * Unavailable.
     *
     * @param reason why, and what to do about it
     * @return the availability
     */
    public static Availability no(String reason) {
        return new Availability(false, reason);
    }

    @Override
    public String toString() {
        return available ? "available" : "unavailable: " + reason;
    }
}
