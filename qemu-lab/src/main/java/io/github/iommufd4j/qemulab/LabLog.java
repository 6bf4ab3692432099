package io.github.iommufd4j.qemulab;

import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HwptAllocFlag;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The ordered log of one lab run: every call QEMU made on the scripted kernel's descriptors (backend calls and
 * the calls the kernel answered itself) and what the lab did (QMP commands, their returns, events), in the
 * order they happened. Thread-safe; entries are never removed.
 */
public final class LabLog {
    private final List<LabEntry> entries = new ArrayList<>();
    private final long start = System.nanoTime();

    /** When the log was made, from {@link System#nanoTime()}: entries' {@code micros} count from here. */
    public long startNanos() {
        return start;
    }

    /** Appends an entry and wakes those waiting in {@link #await}. */
    public synchronized LabEntry add(LabEntry.Kind kind, String op, Map<String, Object> args,
                                     FlagSet<HwptAllocFlag> flags, String result) {
        LabEntry e = new LabEntry(entries.size(), kind, op, args, flags, result, (System.nanoTime() - start) / 1000);
        entries.add(e);
        notifyAll();
        return e;
    }

    /** A {@link LabEntry.Kind#LAB} line. */
    public LabEntry lab(String op, Map<String, Object> args, String result) {
        return add(LabEntry.Kind.LAB, op, args, null, result);
    }

    /** The result text of an errno: its name, or {@code "errno N"}. */
    public static String result(Errno errno, int number) {
        if (errno == null) {
            return "ok";
        }
        return errno != Errno.UNKNOWN ? errno.name() : "errno " + number;
    }

    /** Every entry so far. */
    public synchronized List<LabEntry> entries() {
        return List.copyOf(entries);
    }

    /** The position the next entry will get: a mark for {@link #since}. */
    public synchronized long mark() {
        return entries.size();
    }

    /** The entries from position {@code mark} on. */
    public synchronized List<LabEntry> since(long mark) {
        return List.copyOf(entries.subList((int) Math.min(mark, entries.size()), entries.size()));
    }

    /** The backend calls among {@code list}, in order. */
    public static List<LabEntry> backendCalls(List<LabEntry> list) {
        return list.stream().filter(e -> e.kind() == LabEntry.Kind.BACKEND).collect(Collectors.toList());
    }

    /** The entries of one kind among {@code list}, in order. */
    public static List<LabEntry> ofKind(List<LabEntry> list, LabEntry.Kind kind) {
        return list.stream().filter(e -> e.kind() == kind).collect(Collectors.toList());
    }

    /**
     * Waits until an entry at or after {@code mark} matches, and returns the first that does.
     *
     * @throws LabException naming {@code what} and the last entries when none matched in time
     */
    public synchronized LabEntry await(long mark, Predicate<LabEntry> match, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int from = (int) mark;
        while (true) {
            for (int i = from; i < entries.size(); i++) {
                if (match.test(entries.get(i))) {
                    return entries.get(i);
                }
            }
            from = Math.max(from, entries.size());
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new LabException("waited " + timeout.toMillis() + " ms for " + what + "; the log ends with:\n"
                        + tail(8));
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted while waiting for " + what);
            }
        }
    }

    /** The last {@code n} entries, one a line, for messages. */
    public synchronized String tail(int n) {
        return render(entries.subList(Math.max(0, entries.size() - n), entries.size()));
    }

    /** Entries one a line, as {@code "  12 BACKEND  ATTACH(devId 1, ptId 3) = ok"}. */
    public static String render(List<LabEntry> list) {
        StringBuilder sb = new StringBuilder();
        for (LabEntry e : list) {
            sb.append(String.format("%5d %-7s %s%n", e.seq(), e.kind(), e));
        }
        return sb.toString();
    }
}
