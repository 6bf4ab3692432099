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

    public Availability {
        if (!available) {
            Objects.requireNonNull(reason, "an unavailable backend must say why");
        }
    }

    /** Available. */
    public static Availability yes() {
        return AVAILABLE;
    }

    /** Unavailable, because of {@code reason}. */
    public static Availability no(String reason) {
        return new Availability(false, reason);
    }

    @Override
    public String toString() {
        return available ? "available" : "unavailable: " + reason;
    }
}
