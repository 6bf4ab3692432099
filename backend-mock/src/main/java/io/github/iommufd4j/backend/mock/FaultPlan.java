package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Call counting and pending injected faults. A fault is kept as the absolute call number it fires on
 * ({@code calls so far + nth}), so several faults on one operation never shift each other.
 * Not thread-safe; {@link MockBackend} guards it.
 */
final class FaultPlan {
    private record Pending(BackendOp op, long atCall, Errno errno) {
    }

    private final EnumMap<BackendOp, Long> calls = new EnumMap<>(BackendOp.class);
    private final List<Pending> pending = new ArrayList<>();

    void failNth(BackendOp op, int nth, Errno errno) {
        pending.add(new Pending(op, count(op) + nth, errno));
    }

    void clear() {
        pending.clear();
    }

    /**
     * Counts one call of {@code op}; returns the errno of the fault that fires on this call, if any (the first
     * one registered, when several target the same call; all of those are consumed).
     */
    Optional<Errno> countCall(BackendOp op) {
        long n = count(op) + 1;
        calls.put(op, n);
        Errno fired = null;
        for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.op == op && p.atCall == n) {
                if (fired == null) {
                    fired = p.errno;
                }
                it.remove();
            }
        }
        return Optional.ofNullable(fired);
    }

    long count(BackendOp op) {
        return calls.getOrDefault(op, 0L);
    }

    Map<BackendOp, Long> counts() {
        return Map.copyOf(calls);
    }
}
