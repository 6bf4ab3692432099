package io.github.iommufd4j.api;

import java.util.Map;

/** A backend ability: making chosen calls fail, and counting calls. */
public interface FaultInjection {

    /**
     * The {@code nth} next call (1 = the very next) of {@code op} fails with {@code errno} without changing
     * anything. Several faults may be pending at once.
     *
     * @param op    the operation
     * @param nth   which of its next calls fails, from 1
     * @param errno the errno it fails with
     * @throws UnsupportedOperationException when this backend cannot make {@code op} fail with {@code errno}: a
     *                                       backend whose kernel makes the failure (the {@code linux} backend with
     *                                       {@code faults=kernel}) gives only what the kernel can give
     */
    void failNth(BackendOp op, int nth, Errno errno);

    /** Drops every pending fault. */
    void clearFaults();

    /**
     * Calls made per operation.
     *
     * @return the calls since the backend was opened, failed ones included, per operation
     */
    Map<BackendOp, Long> callCounts();
}
