package io.github.iommufd4j.core;

import java.util.Optional;

/** A QEMU on/off/auto property ({@code enable-migration}, {@code x-device-dirty-page-tracking}). */
public enum OnOffAuto {
    ON, OFF, AUTO;

    /** The spelling used in scenario files: {@code on}, {@code off}, {@code auto}. */
    public String spelling() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The value spelled {@code text} ({@code on}, {@code off}, {@code auto}; exact, lower case), if any. */
    public static Optional<OnOffAuto> ofSpelling(String text) {
        for (OnOffAuto v : values()) {
            if (v.spelling().equals(text)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
