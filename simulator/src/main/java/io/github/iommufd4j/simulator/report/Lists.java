package io.github.iommufd4j.simulator.report;

import java.util.List;
import java.util.Objects;

/** Copies for the report records: immutable, no null elements. */
final class Lists {
    private Lists() {
    }

    static <T> List<T> copy(List<T> list, String what) {
        return List.copyOf(Objects.requireNonNull(list, what));
    }
}
