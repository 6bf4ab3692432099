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
    /**
     * An offer with exactly one of a reference and a reason.
     *
     * @param ref    the device reference, null when unavailable
     * @param reason why the device cannot be made, null when made
     * @throws IllegalArgumentException when both or neither are given
     */
    public DeviceOffer {
        if ((ref == null) == (reason == null)) {
            throw new IllegalArgumentException("a device offer has exactly one of a reference and a reason");
        }
    }

    /**
     * A device made.
     *
     * @param ref the reference to give to {@code IommufdBackend.bind}
     * @return the offer
     */
    public static DeviceOffer made(String ref) {
        return new DeviceOffer(Objects.requireNonNull(ref, "ref"), null);
    }

    /**
     * No device.
     *
     * @param reason why, shown as the skip reason of the rules that need the device
     * @return the offer
     */
    public static DeviceOffer unavailable(String reason) {
        return new DeviceOffer(null, Objects.requireNonNull(reason, "reason"));
    }

    /**
     * Whether a device was made.
     *
     * @return true when the offer has a reference
     */
    public boolean isMade() {
        return ref != null;
    }
}
