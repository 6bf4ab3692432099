package io.github.iommufd4j.simulator.scenario;

import java.util.Objects;

/** Argument checks shared by the scenario records; each names the key of the scenario file it checks. */
final class Checks {
    private Checks() {
    }

    static String name(String value, String key) {
        Objects.requireNonNull(value, key);
        if (value.isBlank()) {
            throw new ScenarioValueException(key, "empty string; expected a non-empty string");
        }
        return value;
    }

    static void range(long iova, long length) {
        if (iova < 0) {
            throw new ScenarioValueException("iova", "negative address " + iova + "; expected an address of 0 or more");
        }
        if (length <= 0) {
            throw new ScenarioValueException("length", "length " + length
                    + " is not positive; expected a positive number of bytes");
        }
        if (iova + length < 0) {
            throw new ScenarioValueException("length", "iova " + hex(iova) + " + length " + hex(length)
                    + " overflows; expected a range that ends at most at 0x7fffffffffffffff");
        }
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
