package io.github.iommufd4j.core;

import io.github.iommufd4j.api.IovaRange;
import java.util.Objects;

/**
 * A run of guest pages a query reported dirty.
 *
 * @param range     the pages, as an IOVA range
 * @param perpetual reported because no tracker could see some device of the container: every page of the range is
 *                  reported whether written or not (Q-DT-4 row 3, QEMU's "perpetual dirty")
 */
public record DirtyRun(IovaRange range, boolean perpetual) {
    public DirtyRun {
        Objects.requireNonNull(range, "range");
    }
}
