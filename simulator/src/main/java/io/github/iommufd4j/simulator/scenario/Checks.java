package io.github.iommufd4j.simulator.scenario;

import java.util.Objects;

/** Argument checks shared by the scenario records. */
final class Checks {
    private Checks() {
    }

    static String name(String value, String what) {
        Objects.requireNonNull(value, what + " must not be null");
        if (value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
        return value;
    }

    static void range(long iova, long length, String what) {
        if (iova < 0) {
            throw new IllegalArgumentException(what + ": iova " + hex(iova) + " is negative");
        }
        if (length <= 0) {
            throw new IllegalArgumentException(what + ": length " + length + " must be positive");
        }
        if (iova + length < 0) {
            throw new IllegalArgumentException(what + ": iova " + hex(iova) + " + length " + hex(length)
                    + " overflows");
        }
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
