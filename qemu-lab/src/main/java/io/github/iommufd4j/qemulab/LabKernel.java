package io.github.iommufd4j.qemulab;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.api.ObjectInventory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The JVM side of the scripted kernel: a unix-socket server that answers the requests of the LD_PRELOAD library
 * ({@code qemu-lab/preload/qemu_lab_kernel.c}) inside one QEMU process.
 *
 * <p>Each request is decoded into one call of the {@link RecordingLabBackend} (so every backend call is recorded in
 * order with its result) or answered here from what the backend said at bind (the migration and DMA logging
 * features of the device) and from the lab's IOMMU descriptions ({@code IOMMU_IOAS_IOVA_RANGES}, which has no
 * backend method). Checks of struct fields the backend interface cannot carry (flag bits, reserved fields, the
 * driver data of a HWPT) are made here like Linux 6.12 makes them, before the backend is called; such a refusal
 * is a {@link LabEntry.Kind#KERNEL} entry, not a backend call.
 *
 * <p>Requests are served one at a time on one thread per connection (the library serialises its calls), so the
 * log's order is the order QEMU made the calls in. {@link #onEntry} hooks run on that thread after an entry is
 * recorded and before QEMU gets the answer: a hook sees QEMU stopped exactly at that call.
 */
public final class LabKernel implements AutoCloseable {
    private static final long U64_MAX = -1L;
    /** IOMMU_IOAS_MAP flags. */
    private static final long MAP_FIXED_IOVA = 1, MAP_WRITEABLE = 2, MAP_READABLE = 4;
    /** VFIO_MIGRATION_* flags. */
    private static final long MIGRATION_STOP_COPY = 1, MIGRATION_P2P = 2;
    /** VFIO_DEVICE_FEATURE_MIG_DATA_SIZE answer unless set per device: non-zero, small. */
    public static final long DEFAULT_MIG_DATA_SIZE = 4096;
    private static final String[] MIG_STATES = {"ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING", "RUNNING_P2P",
        "PRE_COPY", "PRE_COPY_P2P"};

    private final Path socketPath;
    private final RecordingLabBackend backend;
    private final LabLog log;
    private final Map<String, IommuSpec> iommus;
    private final ServerSocketChannel server;
    private final Map<Integer, BoundDevice> bound = new ConcurrentHashMap<>();
    private final Map<String, Integer> devIdByName = new ConcurrentHashMap<>();
    /** HWPT id -> the IOAS it is on and the IOMMU of the device it was made for. */
    private final Map<Integer, HwptInfo> hwpts = new ConcurrentHashMap<>();
    private final Map<String, Long> migDataSize = new ConcurrentHashMap<>();
    private final List<Hook> hooks = new CopyOnWriteArrayList<>();
    private final List<RequestHook> requestHooks = new CopyOnWriteArrayList<>();
    private final List<SocketChannel> clients = new CopyOnWriteArrayList<>();
    private volatile Thread acceptor;
    private volatile int connections;
    private volatile long clientPid = -1;

    private record HwptInfo(int ioasId, String iommuId) {
    }

    private record Hook(Predicate<LabEntry> when, Consumer<LabEntry> action, boolean once) {
    }

    private record RequestHook(Predicate<String> when, Runnable action) {
    }

    /**
     * A kernel serving {@code backend} at {@code socketPath} (bound at once; served after {@link #start}).
     *
     * @param iommus the IOMMU instances of the devices, by id, for the IOVA ranges answer
     */
    public LabKernel(Path socketPath, RecordingLabBackend backend, LabLog log, Map<String, IommuSpec> iommus) {
        this.socketPath = Objects.requireNonNull(socketPath, "socketPath");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.log = Objects.requireNonNull(log, "log");
        this.iommus = Map.copyOf(iommus);
        try {
            Files.deleteIfExists(socketPath);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socketPath));
        } catch (IOException e) {
            throw new LabException("cannot listen on the kernel socket " + socketPath + ": " + e.getMessage(), e);
        }
    }

    /** The socket the library connects to ({@code QEMU_LAB_SOCKET}). */
    public Path socketPath() {
        return socketPath;
    }

    /** Starts accepting connections; each is served on a thread of its own. */
    public LabKernel start() {
        Thread t = new Thread(this::acceptLoop, "qemu-lab-kernel-accept");
        t.setDaemon(true);
        acceptor = t;
        t.start();
        return this;
    }

    /** How many processes have connected so far. */
    public int connections() {
        return connections;
    }

    /** The pid the library reported in its hello, or -1. */
    public long clientPid() {
        return clientPid;
    }

    /** Waits until {@code n} connections were made, or {@code alive} says the client is gone. */
    public void awaitConnections(int n, Duration timeout, BooleanSupplier alive) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (connections < n) {
            if (!alive.getAsBoolean()) {
                throw new LabException("the process exited before the scripted kernel library connected to " + socketPath);
            }
            if (System.nanoTime() > deadline) {
                throw new LabException("the scripted kernel library did not connect to " + socketPath + " within "
                        + timeout.toMillis() + " ms (is LD_PRELOAD honoured?)");
            }
            sleep(1);
        }
    }

    /** The device id the backend gave the device named {@code name} at its current bind, if bound. */
    public Integer devId(String name) {
        return devIdByName.get(name);
    }

    /** The name of the bound device {@code devId}, or null. */
    public String deviceName(int devId) {
        BoundDevice b = bound.get(devId);
        return b == null ? null : b.name();
    }

    /** Sets the {@code VFIO_DEVICE_FEATURE_MIG_DATA_SIZE} answer of a device (default {@value #DEFAULT_MIG_DATA_SIZE}). */
    public void setMigDataSize(String deviceName, long bytes) {
        migDataSize.put(deviceName, bytes);
    }

    /**
     * Runs {@code action} on the serving thread after each entry that matches {@code when} is recorded (only the first
     * one when {@code once}), before QEMU gets the answer. Entries the action itself records are not matched again
     * while it runs.
     */
    public void onEntry(Predicate<LabEntry> when, Consumer<LabEntry> action, boolean once) {
        hooks.add(new Hook(when, action, once));
    }

    /**
     * Runs {@code action} once, on the serving thread, when the first request whose op ({@code GET_DIRTY_BITMAP},
     * {@code DMA_LOGGING_REPORT}, ...: the library's names) matches {@code op} arrives, before it is decoded and
     * answered: QEMU waits on that call while the action runs, so whatever the action does to the backend is in place
     * for the call. Returns what removes the hook if it has not run.
     */
    public Runnable beforeRequest(Predicate<String> op, Runnable action) {
        RequestHook h = new RequestHook(op, action);
        requestHooks.add(h);
        return () -> requestHooks.remove(h);
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        for (SocketChannel c : clients) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        Thread t = acceptor;
        if (t != null) {
            t.interrupt();
        }
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException ignored) {
            // best effort
        }
    }

    // ---------------------------------------------------------------------------------------------- serving

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            clients.add(c);
            connections++;
            Thread t = new Thread(() -> serve(c), "qemu-lab-kernel-" + connections);
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(SocketChannel channel) {
        try (LineChannel lines = new LineChannel(channel)) {
            String line;
            while ((line = lines.readLine()) != null) {
                lines.writeLine(handleLine(line));
            }
        } catch (IOException e) {
            if (server.isOpen()) {
                log.add(LabEntry.Kind.ERROR, "SOCKET", Map.of("error", String.valueOf(e.getMessage())), null, "closed");
            }
        }
    }

    /** Handles one line of the library and returns the answer ({@code ok} for an event). Visible for tests. */
    String handleLine(String line) {
        if (!requestHooks.isEmpty() && line.startsWith("Q ")) {
            int end = line.indexOf(' ', 2);
            String op = end < 0 ? line.substring(2) : line.substring(2, end);
            for (RequestHook h : requestHooks) {
                if (h.when().test(op) && requestHooks.remove(h)) {
                    try {
                        h.action().run();
                    } catch (RuntimeException ex) {
                        record(LabEntry.Kind.ERROR, "HOOK_ERROR", kv("request", op, "error", String.valueOf(ex)), "failed");
                    }
                }
            }
        }
        long mark = log.mark();
        String reply = decodeAndAnswer(line);
        runHooks(mark);
        return reply;
    }

    private String decodeAndAnswer(String line) {
        String[] parts = line.split(" ");
        if (parts.length < 2 || !(parts[0].equals("Q") || parts[0].equals("E"))) {
            record(LabEntry.Kind.ERROR, "PROTOCOL", Map.of("line", line), "bad line");
            return "err " + Errno.EIO.number();
        }
        boolean request = parts[0].equals("Q");
        String op = parts[1];
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 2; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) {
                record(LabEntry.Kind.ERROR, "PROTOCOL", Map.of("line", line), "bad argument '" + parts[i] + "'");
                return "err " + Errno.EIO.number();
            }
            a.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
        }
        if (!request) {
            event(op, a);
            return "ok"; // the library waits for it: QEMU goes on only once the event is in the log
        }
        try {
            return "ok" + answer(op, new Args(op, a));
        } catch (IommufdException e) {
            return "err " + e.errnoNumber();
        } catch (Refusal r) {
            return "err " + r.errno.number();
        } catch (RuntimeException e) {
            record(LabEntry.Kind.ERROR, "LAB_ERROR", Map.of("request", line, "error", String.valueOf(e)), "failed");
            return "err " + Errno.EIO.number();
        }
    }

    /** A refusal made here, already recorded. */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final Errno errno;

        Refusal(Errno errno) {
            super(errno.name(), null, false, false);
            this.errno = errno;
        }
    }

    /** Decoded request arguments. */
    private static final class Args {
        final String op;
        final Map<String, String> m;

        Args(String op, Map<String, String> m) {
            this.op = op;
            this.m = m;
        }

        String text(String key) {
            String v = m.get(key);
            if (v == null) {
                throw new IllegalArgumentException(op + ": the library sent no '" + key + "' (got " + m + ")");
            }
            return v;
        }

        long num(String key) {
            String v = text(key);
            try {
                return v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseUnsignedLong(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(op + ": '" + key + "=" + v + "' is not a number");
            }
        }

        int u32(String key) {
            return (int) num(key);
        }
    }

    private void event(String op, Map<String, String> a) {
        Map<String, Object> args = new LinkedHashMap<>();
        a.forEach((k, v) -> {
            if (k.equals("dev")) {
                int devId = Integer.parseInt(v);
                args.put("devId", devId);
                String name = deviceName(devId);
                if (name != null) {
                    args.put("device", name);
                }
            } else {
                args.put(k, v);
            }
        });
        boolean error = op.startsWith("UNKNOWN") || op.equals("UNBOUND_IOCTL") || op.startsWith("REGION_");
        if (op.equals("HELLO")) {
            clientPid = Long.parseLong(a.getOrDefault("pid", "-1"));
        }
        record(error ? LabEntry.Kind.ERROR : LabEntry.Kind.KERNEL, op, args, "ok");
    }

    private String answer(String op, Args a) {
        switch (op) {
            case "BIND": {
                BoundDevice b = backend.bind(a.text("name"));
                bound.put(b.devId(), b);
                devIdByName.put(b.name(), b.devId());
                return " devid=" + b.devId();
            }
            case "UNBIND": {
                int devId = a.u32("dev");
                backend.unbind(devId);
                BoundDevice b = bound.remove(devId);
                if (b != null) {
                    devIdByName.remove(b.name(), devId);
                }
                return "";
            }
            case "IOAS_ALLOC": {
                if (a.num("flags") != 0) {
                    throw refuse(op, kv("flags", a.num("flags")), Errno.EOPNOTSUPP);
                }
                return " id=" + backend.ioasAlloc();
            }
            case "DESTROY": {
                int id = a.u32("id");
                backend.destroy(id);
                hwpts.remove(id);
                return "";
            }
            case "IOAS_MAP":
                return ioasMap(a);
            case "IOAS_UNMAP": {
                backend.ioasUnmap(a.u32("ioas"), a.num("iova"), a.num("length"));
                return " length=" + RecordingLabBackend.hex(a.num("length"));
            }
            case "HWPT_ALLOC":
                return hwptAlloc(a);
            case "ATTACH": {
                int devId = a.u32("dev");
                int pt = a.u32("pt");
                int hwpt = backend.attach(devId, pt);
                if (hwpt != pt) { // an auto domain the kernel picked in IOAS pt
                    BoundDevice b = bound.get(devId);
                    hwpts.put(hwpt, new HwptInfo(pt, b == null ? null : b.iommuInstance()));
                }
                return " pt=" + hwpt;
            }
            case "DETACH":
                backend.detach(a.u32("dev"));
                return "";
            case "GET_HW_INFO":
                return hwInfo(a);
            case "IOVA_RANGES":
                return iovaRanges(a);
            case "SET_DIRTY_TRACKING": {
                long flags = a.num("flags");
                if ((flags & ~1L) != 0) { // K-SDT-1: a flag other than ENABLE is EOPNOTSUPP
                    throw refuse(op, kv("hwptId", a.u32("hwpt"), "flags", flags), Errno.EOPNOTSUPP);
                }
                backend.setDirtyTracking(a.u32("hwpt"), flags == 1);
                return "";
            }
            case "GET_DIRTY_BITMAP":
                return dirtyBitmap(a);
            case "MIGRATION":
                return migration(a);
            case "MIG_DEVICE_STATE":
                return migState(a);
            case "MIG_DATA_SIZE": {
                BoundDevice b = device(op, a);
                if (!b.features().migration()) {
                    throw refuse(op, devArgs(b), Errno.ENOTTY);
                }
                long size = migDataSize.getOrDefault(b.name(), DEFAULT_MIG_DATA_SIZE);
                record(LabEntry.Kind.KERNEL, op, with(devArgs(b), "length", size), "ok");
                return " length=" + size;
            }
            case "DMA_LOGGING_PROBE": {
                BoundDevice b = device(op, a);
                Map<String, Object> args = with(devArgs(b), "feature", a.num("feature"));
                if (!b.features().dmaLogging()) {
                    throw refuse(op, args, Errno.ENOTTY);
                }
                record(LabEntry.Kind.KERNEL, op, args, "ok");
                return "";
            }
            case "DMA_LOGGING_START":
                return dmaLoggingStart(a);
            case "DMA_LOGGING_STOP":
                backend.dmaLoggingStop(a.u32("dev"));
                return "";
            case "DMA_LOGGING_REPORT": {
                long length = a.num("length");
                long page = a.num("page");
                DirtyBitmap bits = bitmapFor(op, length, page);
                backend.dmaLoggingReport(a.u32("dev"), a.num("iova"), length, page, bits);
                return runs(bits);
            }
            default:
                throw refuse("UNKNOWN_REQUEST", kv("op", op), Errno.ENOTTY);
        }
    }

    private String ioasMap(Args a) {
        long flags = a.num("flags");
        int ioas = a.u32("ioas");
        Map<String, Object> args = kv("ioasId", ioas, "iova", RecordingLabBackend.hex(a.num("iova")), "length",
                RecordingLabBackend.hex(a.num("length")), "flags", flags);
        if ((flags & ~(MAP_FIXED_IOVA | MAP_WRITEABLE | MAP_READABLE)) != 0 || a.num("reserved") != 0) {
            throw refuse("IOAS_MAP", args, Errno.EOPNOTSUPP);
        }
        if ((flags & MAP_FIXED_IOVA) == 0) {
            // The backend maps at a given IOVA only; QEMU always asks for a fixed one.
            throw refuse("IOAS_MAP", with(args, "why", "no FIXED_IOVA: the lab cannot allocate IOVAs"), Errno.EOPNOTSUPP);
        }
        if ((flags & (MAP_READABLE | MAP_WRITEABLE)) == 0) {
            throw refuse("IOAS_MAP", args, Errno.EINVAL);
        }
        backend.withExtras(kv("readOnly", (flags & MAP_WRITEABLE) == 0)).ioasMap(ioas, a.num("iova"), a.num("length"));
        return "";
    }

    private String hwptAlloc(Args a) {
        long flags = a.num("flags");
        int devId = a.u32("dev");
        int pt = a.u32("pt");
        long dataType = a.num("data_type");
        long dataLen = a.num("data_len");
        Map<String, Object> args = kv("devId", devId, "ptId", pt, "flags", flags, "dataType", dataType, "dataLen", dataLen);
        if (a.num("reserved") != 0) {                                   // K-ALLOC-1
            throw refuse("HWPT_ALLOC", args, Errno.EOPNOTSUPP);
        }
        if ((dataType == 0) != (dataLen == 0)) {                        // K-ALLOC-2
            throw refuse("HWPT_ALLOC", args, Errno.EINVAL);
        }
        if (dataType != 0) {
            // A nested or driver-specific HWPT: the backend interface has no driver data to pass.
            throw refuse("HWPT_ALLOC", with(args, "why", "driver data is out of the lab's reach"), Errno.EOPNOTSUPP);
        }
        int id = backend.hwptAlloc(devId, pt, FlagSet.ofBits(HwptAllocFlag.class, flags));
        BoundDevice b = bound.get(devId);
        hwpts.put(id, new HwptInfo(pt, b == null ? null : b.iommuInstance()));
        return " id=" + id;
    }

    private String hwInfo(Args a) {
        int devId = a.u32("dev");
        if (a.num("flags") != 0 || a.num("reserved") != 0) {                                 // K-HWI-1
            throw refuse("GET_HW_INFO", kv("devId", devId, "flags", a.num("flags")), Errno.EOPNOTSUPP);
        }
        HostIommuDevice h = backend.getHwInfo(devId);
        StringBuilder hex = new StringBuilder();
        for (byte b : h.vendorData()) {
            hex.append(String.format("%02x", b & 0xff));
        }
        return " type=0x" + Integer.toHexString(h.hwInfoTypeCode()) + " caps=0x" + Long.toHexString(h.capabilities().bits())
                + (hex.length() > 0 ? " data=" + hex : "");
    }

    /**
     * IOMMU_IOAS_IOVA_RANGES: the intersection of the apertures of the IOMMUs whose HWPTs are on the IOAS (all of
     * it for an IOAS without one), aligned to the largest of their IOPTE sizes (1 without one). No reserved regions:
     * the mock has none.
     */
    private String iovaRanges(Args a) {
        int ioas = a.u32("ioas");
        Map<String, Object> args = kv("ioasId", ioas, "numIovas", a.num("num"));
        if (a.num("reserved") != 0) {
            throw refuse("IOVA_RANGES", args, Errno.EOPNOTSUPP);
        }
        Set<Integer> live = liveIds(BackendObject.Type.HWPT);
        if (!liveIds(BackendObject.Type.IOAS).contains(ioas)) {
            throw refuse("IOVA_RANGES", args, Errno.ENOENT);
        }
        long first = 0;
        long last = U64_MAX;
        long align = 1;
        for (Map.Entry<Integer, HwptInfo> h : hwpts.entrySet()) {
            if (h.getValue().ioasId() != ioas || !live.contains(h.getKey())) {
                continue;
            }
            IommuSpec spec = iommus.get(h.getValue().iommuId());
            if (spec == null) {
                continue;
            }
            first = Long.compareUnsigned(spec.apertureStart(), first) > 0 ? spec.apertureStart() : first;
            last = Long.compareUnsigned(spec.apertureLast(), last) < 0 ? spec.apertureLast() : last;
            align = Math.max(align, spec.iopteSize());
        }
        boolean empty = Long.compareUnsigned(first, last) > 0;
        String ranges = empty ? "" : RecordingLabBackend.hex(first) + ":" + RecordingLabBackend.hex(last);
        int count = empty ? 0 : 1;
        String result = a.num("num") < count ? "EMSGSIZE" : "ok";
        record(LabEntry.Kind.KERNEL, "IOVA_RANGES", with(with(args, "ranges", empty ? "none" : "[" + ranges.replace(":", ", ") + "]"),
                "alignment", align), result);
        return " align=" + align + (empty ? "" : " ranges=" + ranges);
    }

    private String dirtyBitmap(Args a) {
        int hwpt = a.u32("hwpt");
        long flags = a.num("flags");
        long length = a.num("length");
        long page = a.num("page");
        if ((flags & ~1L) != 0 || a.num("reserved") != 0) {                                 // K-GDB-1
            throw refuse("GET_DIRTY_BITMAP", kv("hwptId", hwpt, "flags", flags), Errno.EOPNOTSUPP);
        }
        DirtyBitmap bits = bitmapFor("GET_DIRTY_BITMAP", length, page);
        backend.getDirtyBitmap(hwpt, a.num("iova"), length, page, (flags & 1) != 0, bits);
        return runs(bits);
    }

    /** A bitmap of ceil(length / page) bits, the size QEMU's buffer has; an empty one for a page size of 0. */
    private DirtyBitmap bitmapFor(String op, long length, long page) {
        if (page == 0) {
            return new DirtyBitmap(0); // the backend answers EINVAL
        }
        long pages = Long.divideUnsigned(length, page) + (Long.remainderUnsigned(length, page) != 0 ? 1 : 0);
        if (pages < 0 || pages > (long) DirtyBitmap.MAX_WORDS * 64 / 16) {
            throw refuse(op, kv("length", RecordingLabBackend.hex(length), "pageSize", page,
                    "why", "a bitmap this large is out of the lab's reach"), Errno.ENOMEM);
        }
        return new DirtyBitmap(pages);
    }

    private static String runs(DirtyBitmap bits) {
        StringBuilder sb = new StringBuilder();
        bits.forEachRun((first, count) -> sb.append(sb.length() == 0 ? " runs=" : ",").append(first).append(':').append(count));
        return sb.toString();
    }

    private String migration(Args a) {
        BoundDevice b = device("MIGRATION", a);
        boolean get = a.num("get") != 0;
        boolean probe = a.num("probe") != 0;
        boolean set = a.num("set") != 0;
        Map<String, Object> args = with(with(devArgs(b), "get", get), "probe", probe);
        if (!b.features().migration()) {
            throw refuse("MIGRATION", args, Errno.ENOTTY);
        }
        if (set || (!get && !probe)) {
            throw refuse("MIGRATION", args, Errno.EINVAL);
        }
        long flags = MIGRATION_STOP_COPY | (b.features().p2p() ? MIGRATION_P2P : 0);
        record(LabEntry.Kind.KERNEL, "MIGRATION", with(args, "flags", migrationFlags(flags)), "ok");
        return " flags=" + flags;
    }

    private static String migrationFlags(long flags) {
        List<String> names = new ArrayList<>();
        if ((flags & MIGRATION_STOP_COPY) != 0) {
            names.add("STOP_COPY");
        }
        if ((flags & MIGRATION_P2P) != 0) {
            names.add("P2P");
        }
        return names.toString();
    }

    private String migState(Args a) {
        BoundDevice b = device("MIG_DEVICE_STATE", a);
        boolean set = a.num("set") != 0;
        Map<String, Object> args = devArgs(b);
        if (set) {
            args.put("from", stateName(a.num("from")));
            args.put("to", stateName(a.num("to")));
        } else {
            args.put("get", stateName(a.num("from")));
        }
        if (!b.features().migration()) {
            throw refuse("MIG_DEVICE_STATE", args, Errno.ENOTTY);
        }
        record(LabEntry.Kind.KERNEL, "MIG_DEVICE_STATE", args, "ok");
        return "";
    }

    private static String stateName(long state) {
        return state >= 0 && state < MIG_STATES.length ? MIG_STATES[(int) state] : "STATE_" + state;
    }

    private String dmaLoggingStart(Args a) {
        int devId = a.u32("dev");
        long page = a.num("page");
        List<IovaRange> ranges = new ArrayList<>();
        for (String r : a.text("ranges").split(",")) {
            int colon = r.indexOf(':');
            long iova = Long.parseUnsignedLong(r.substring(2, colon), 16);
            long length = Long.parseUnsignedLong(r.substring(colon + 3), 16);
            if (length == 0) {
                throw refuse("DMA_LOGGING_START", kv("devId", devId, "range", r), Errno.EINVAL);
            }
            ranges.add(new IovaRange(iova, length));
        }
        backend.withExtras(kv("rangeList", ranges.toString())).dmaLoggingStart(devId, ranges, page);
        return " page=" + page;
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private BoundDevice device(String op, Args a) {
        int devId = a.u32("dev");
        BoundDevice b = bound.get(devId);
        if (b == null) {
            throw refuse(op, kv("devId", devId, "why", "not a bound device"), Errno.ENOENT);
        }
        return b;
    }

    private static Map<String, Object> devArgs(BoundDevice b) {
        return kv("devId", b.devId(), "device", b.name());
    }

    private Set<Integer> liveIds(BackendObject.Type type) {
        ObjectInventory inv = backend.inventory().orElse(null);
        if (inv == null) {
            return hwpts.keySet();
        }
        return inv.liveObjects().stream().filter(o -> o.type() == type).map(BackendObject::id).collect(Collectors.toSet());
    }

    private Refusal refuse(String op, Map<String, Object> args, Errno errno) {
        record(LabEntry.Kind.KERNEL, op, args, errno.name());
        return new Refusal(errno);
    }

    private void record(LabEntry.Kind kind, String op, Map<String, Object> args, String result) {
        log.add(kind, op, args, null, result);
    }

    private static Map<String, Object> kv(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> with(Map<String, Object> m, String key, Object value) {
        Map<String, Object> out = new LinkedHashMap<>(m);
        out.put(key, value);
        return out;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted");
        }
    }

    /** Runs the hooks matching entries recorded since {@code mark}; called by the serving thread. */
    private void runHooks(long mark) {
        if (hooks.isEmpty()) {
            return;
        }
        for (LabEntry e : log.since(mark)) {
            for (Hook h : hooks) {
                if (h.when().test(e)) {
                    if (h.once()) {
                        hooks.remove(h);
                    }
                    try {
                        h.action().accept(e);
                    } catch (RuntimeException ex) {
                        record(LabEntry.Kind.ERROR, "HOOK_ERROR", kv("entry", e.toString(), "error", String.valueOf(ex)),
                                "failed");
                    }
                }
            }
        }
    }

}
