package io.github.iommufd4j.tck;

import java.util.Objects;

/**
 * What a {@link TckFixture} answers when asked for a device: the reference to give to
 * {@code IommufdBackend.bind}, or the reason it cannot make one.
 *
 * @param ref    the device reference, null when unavailable
 * @param reason why the device cannot be made, null when made
 */
public record DeviceOffer(String ref, String reason) {
    public DeviceOffer {
        if ((ref == null) == (reason == null)) {
            throw new IllegalArgumentException("a device offer has exactly one of a reference and a reason");
        }
    }

    /** A device made, with its reference. */
    public static DeviceOffer made(String ref) {
        return new DeviceOffer(Objects.requireNonNull(ref, "ref"), null);
    }

    /** No device, because of {@code reason} (shown as the skip reason of the rules that need it). */
    public static DeviceOffer unavailable(String reason) {
        return new DeviceOffer(null, Objects.requireNonNull(reason, "reason"));
    }

    /** Whether a device was made. */
    public boolean isMade() {
        return ref != null;
    }
}
