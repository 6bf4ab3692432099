package io.github.iommufd4j.api;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The bookkeeping of {@link FaultInjection}: calls counted per {@link BackendOp}, and faults kept as the absolute
 * call number they fire on ({@code calls of OP so far + nth}), so several may be pending at once without shifting
 * each other. When several aim at one call, the first scheduled fires and the others are used up with it. What a
 * fault carries ({@code F}: an errno, a kernel fault point) is the injector's. Not thread-safe: the injector
 * guards it.
 *
 * @param <F> what a fault carries
 */
public final class FaultSchedule<F> {
    private record Pending<F>(BackendOp op, long atCall, F fault) {
    }

    private final EnumMap<BackendOp, Long> calls = new EnumMap<>(BackendOp.class);
    private final List<Pending<F>> pending = new ArrayList<>();

    /** An empty schedule: no call counted, no fault pending. */
    public FaultSchedule() {
    }

    /**
     * Schedules {@code fault} on the {@code nth} next call of {@code op}.
     *
     * @param op    the operation
     * @param nth   1 for the very next call of {@code op}
     * @param fault what the fault carries
     * @throws IllegalArgumentException for {@code nth} below 1
     */
    public void schedule(BackendOp op, int nth, F fault) {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(fault, "fault");
        if (nth < 1) {
            throw new IllegalArgumentException("nth must be 1 or more (1 = the very next call), not " + nth);
        }
        pending.add(new Pending<>(op, count(op) + nth, fault));
    }

    /**
     * Counts one call of {@code op} and takes the faults aimed at it.
     *
     * @param op the operation called
     * @return the first fault scheduled on this call, or null
     */
    public F admit(BackendOp op) {
        long n = count(op) + 1;
        calls.put(op, n);
        F fired = null;
        for (Iterator<Pending<F>> it = pending.iterator(); it.hasNext(); ) {
            Pending<F> p = it.next();
            if (p.op == op && p.atCall == n) {
                if (fired == null) {
                    fired = p.fault;
                }
                it.remove();
            }
        }
        return fired;
    }

    /**
     * The calls of {@code op} counted so far: after {@link #admit}, the number of that call.
     *
     * @param op the operation
     * @return the count
     */
    public long count(BackendOp op) {
        return calls.getOrDefault(op, 0L);
    }

    /**
     * The calls counted so far, per operation.
     *
     * @return a copy of the counts
     */
    public Map<BackendOp, Long> counts() {
        return Map.copyOf(calls);
    }

    /** Drops every pending fault; the counts stay. */
    public void clear() {
        pending.clear();
    }
}
