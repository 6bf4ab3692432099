package io.github.iommufd4j.qemulab;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackends;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One lab run: a fresh mock backend with the run's devices, the scripted kernel serving it on a fresh socket, one
 * QEMU 10.0 process ({@code pc} machine, TCG, paused with {@code -S}, the lab's halting firmware) and a QMP
 * connection to it. Everything QEMU does to the kernel lands in {@link #log()}.
 *
 * <p>The steps QEMU can be asked to take without a guest: {@link #hotplug} ({@code device_add} with the device's
 * descriptor), {@link #unplug} ({@code device_del}, then the PIIX4 ACPI eject register written through HMP, as a
 * guest's ACPI code would, then {@code DEVICE_DELETED}), {@link #migrate} ({@code migrate} to {@code exec:cat >
 * /dev/null} from the paused VM, watched with {@code query-migrate}), {@link #cont}/{@link #stop}. Besides QEMU,
 * the lab acts on the backend: {@link #dma} (the mock's DMA simulation) and {@link #failNth} (its fault injection).
 *
 * <p>Descriptors: {@value #IOMMUFD_FD} stands for {@code /dev/iommu} ({@code -object iommufd,id=fd0,fd=...}); device
 * {@code i} of the config gets {@code IOMMUFD_FD + 1 + i}. The library keeps a device's descriptor when QEMU closes
 * it (that close is the unbind), so a device can be plugged again. One JVM can run many sessions one after the
 * other; each is closed with {@link #close}, which kills QEMU.
 */
public final class LabSession implements AutoCloseable {
    /** The descriptor number that stands for /dev/iommu inside QEMU. */
    public static final int IOMMUFD_FD = 30;
    /** The PIIX4 ACPI PCI hot-plug eject register (a bit per slot of the selected bus, the root bus by default). */
    public static final int PIIX4_EJECT_PORT = 0xae08;
    /** What a migration writes to. */
    public static final String MIGRATION_URI = "exec:cat > /dev/null";

    private final QemuInstallation installation;
    private final LabConfig config;
    private final Path workDir;
    private final IommufdBackend mock;
    private final RecordingLabBackend backend;
    private final LabLog log = new LabLog();
    private final LabKernel kernel;
    private final Map<String, Integer> fds = new LinkedHashMap<>();
    private QemuProcess qemu;
    private Qmp qmp;
    private Timings timings;

    /**
     * How long the start took, in microseconds from the process start: until the library said hello (its
     * constructor ran, before QEMU's main), until the last call before QMP came up (the cold-plugged devices
     * realized and reset), until QMP was ready (greeting and capabilities negotiated).
     */
    public record Timings(long kernelConnectedMicros, long realizedMicros, long qmpReadyMicros) {
    }

    private LabSession(QemuInstallation installation, LabConfig config) throws IOException {
        this.installation = installation;
        this.config = config;
        this.workDir = Files.createTempDirectory("qemu-lab-");
        IommufdBackend opened = null;
        try {
            opened = IommufdBackends.provider("mock").open(BackendOptions.empty());
            this.mock = opened;
            DeviceProvisioning prov = mock.provisioning()
                    .orElseThrow(() -> new LabException("the mock backend cannot make devices"));
            Map<String, IommuSpec> iommus = new LinkedHashMap<>();
            int i = 0;
            for (LabDevice d : config.devices()) {
                prov.createDevice(d.spec());
                iommus.put(d.iommu().id(), d.iommu());
                fds.put(d.name(), IOMMUFD_FD + 1 + i++);
            }
            this.backend = new RecordingLabBackend(mock, log);
            this.kernel = new LabKernel(workDir.resolve("kernel.sock"), backend, log, iommus).start();
        } catch (RuntimeException e) { // nothing of a session that never started stays behind
            if (opened != null) {
                opened.close();
            }
            deleteTree(workDir);
            throw e;
        }
    }

    /** Starts a run: backend, kernel, QEMU, QMP. On failure everything started is stopped again. */
    public static LabSession start(QemuInstallation installation, LabConfig config) {
        LabSession s;
        try {
            s = new LabSession(installation, config);
        } catch (IOException e) {
            throw new LabException("cannot make the run's work directory: " + e.getMessage(), e);
        }
        try {
            s.launch();
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void launch() {
        Path qmpPath = workDir.resolve("qmp.sock");
        try (ServerSocketChannel qmpServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            qmpServer.bind(UnixDomainSocketAddress.of(qmpPath));
            qmpServer.configureBlocking(false);
            Map<String, String> env = new LinkedHashMap<>();
            env.put("LD_PRELOAD", installation.preload().toString());
            env.put("QEMU_LAB_SOCKET", kernel.socketPath().toString());
            env.put("QEMU_LAB_IOMMUFD", String.valueOf(IOMMUFD_FD));
            env.put("QEMU_LAB_DEVICES", fds.entrySet().stream().map(e -> e.getValue() + ":" + e.getKey())
                    .collect(Collectors.joining(",")));
            qemu = QemuProcess.start(commandLine(qmpPath), env, workDir);
            kernel.awaitConnections(1, config.timeout(), qemu::isAlive);
            LabEntry hello = log.await(0, e -> e.is(LabEntry.Kind.KERNEL, "HELLO"), config.timeout(),
                    "the scripted kernel's hello");
            // QEMU connects to the QMP socket while parsing its options, but greets only once its main loop runs,
            // after the cold-plugged devices were realized and the machine reset.
            SocketChannel ch = acceptQmp(qmpServer);
            qmp = Qmp.open(ch, log, config.timeout());
            long ready = (System.nanoTime() - qemu.startNanos()) / 1000;
            List<LabEntry> all = log.entries();
            LabEntry lastBeforeQmp = hello;
            for (LabEntry e : all) {
                if (e.kind() == LabEntry.Kind.LAB) {
                    break;
                }
                lastBeforeQmp = e;
            }
            long offset = (log.startNanos() - qemu.startNanos()) / 1000; // log time -> process time
            long connected = hello.micros() + offset;
            long realized = lastBeforeQmp.micros() + offset;
            timings = new Timings(connected, realized, ready);
        } catch (IOException e) {
            throw new LabException("cannot listen for QMP on " + qmpPath + ": " + e.getMessage(), e);
        } catch (LabException e) {
            throw new LabException(e.getMessage() + (qemu != null ? "; " + qemu.describe() : ""), e);
        }
    }

    private SocketChannel acceptQmp(ServerSocketChannel server) throws IOException {
        long deadline = System.nanoTime() + config.timeout().toNanos();
        while (true) {
            SocketChannel ch = server.accept();
            if (ch != null) {
                ch.configureBlocking(true);
                return ch;
            }
            if (!qemu.isAlive()) {
                throw new LabException("QEMU exited before connecting to QMP");
            }
            if (System.nanoTime() > deadline) {
                throw new LabException("QEMU did not connect to QMP within " + config.timeout().toMillis() + " ms");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted");
            }
        }
    }

    /** The QEMU command line of this run. */
    List<String> commandLine(Path qmpPath) {
        List<String> c = new ArrayList<>(List.of(
                installation.binary().toString(),
                "-L", installation.dataDir().toString(),
                "-bios", installation.firmware().toString(),
                "-machine", "pc",
                "-accel", "tcg",
                "-m", config.memoryMiB() + "M",
                "-smp", "1",
                "-nodefaults", "-no-user-config",
                "-display", "none",
                "-S",
                "-chardev", "socket,id=qmp,path=" + qmpPath,
                "-mon", "chardev=qmp,mode=control",
                "-object", "iommufd,id=fd0,fd=" + IOMMUFD_FD));
        for (String name : config.coldPlugged()) {
            c.add("-device");
            c.add(deviceProperties(config.device(name)).entrySet().stream().map(e -> e.getKey().equals("driver")
                    ? e.getValue() : e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",")));
        }
        c.addAll(config.extraArgs());
        return c;
    }

    /** The vfio-pci properties of a device, driver first, as device_add takes them. */
    private Map<String, String> deviceProperties(LabDevice d) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("driver", "vfio-pci");
        p.put("id", d.name());
        p.put("fd", String.valueOf(fds.get(d.name())));
        p.put("iommufd", "fd0");
        p.put("bus", "pci.0");
        p.put("addr", "0x" + Integer.toHexString(d.slot()));
        if (d.enableMigration() != null) {
            p.put("enable-migration", d.enableMigration());
        }
        if (d.deviceDirtyPageTracking() != null) {
            p.put("x-device-dirty-page-tracking", d.deviceDirtyPageTracking());
        }
        return p;
    }

    // ---------------------------------------------------------------------------------------------- accessors

    /** The run's log: every call QEMU made on the scripted kernel, and the lab's own lines. */
    public LabLog log() {
        return log;
    }

    /** The mock backend behind the recorder (for its abilities and inventory). */
    public IommufdBackend mock() {
        return mock;
    }

    public LabKernel kernel() {
        return kernel;
    }

    public QemuProcess qemu() {
        return qemu;
    }

    public Qmp qmp() {
        return qmp;
    }

    public LabConfig config() {
        return config;
    }

    public Timings timings() {
        return timings;
    }

    /** The descriptor number of a device inside QEMU. */
    public int fd(String device) {
        Integer fd = fds.get(device);
        if (fd == null) {
            throw new IllegalArgumentException("no device '" + device + "' in this run; devices: " + fds.keySet());
        }
        return fd;
    }

    /**
     * QEMU's name of a device: {@code VFIO_FD<fd>}. QEMU 10.0 names a vfio-pci device that was given a descriptor
     * after the descriptor, not after its {@code id}, in every message (warnings, blockers, errors).
     */
    public String qemuName(String device) {
        return "VFIO_FD" + fd(device);
    }

    /** {@code text} with each {@code VFIO_FD<fd>} of this run's devices replaced by the device's name. */
    public String withDeviceNames(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\bVFIO_FD(\\d+)\\b").matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            int fd = Integer.parseInt(m.group(1));
            String name = fds.entrySet().stream().filter(e -> e.getValue() == fd).map(Map.Entry::getKey).findFirst()
                    .orElse(m.group());
            m.appendReplacement(sb, java.util.regex.Matcher.quoteReplacement(name));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** QEMU's stderr so far, prefix stripped. */
    public List<String> stderr() {
        return qemu.stderr();
    }

    // ---------------------------------------------------------------------------------------------- steps

    /** What a step did: whether QEMU accepted it, its error text, and the log entries it produced. */
    public record StepOutcome(boolean ok, String error, List<LabEntry> entries) {
        /** The backend calls among the entries. */
        public List<LabEntry> backendCalls() {
            return LabLog.backendCalls(entries);
        }
    }

    /** {@code device_add} of a configured device (its descriptor, {@code iommufd=fd0}, its slot and properties). */
    public StepOutcome hotplug(String device) {
        long mark = log.mark();
        Map<String, String> props = deviceProperties(config.device(device));
        try {
            qmp.execute("device_add", props, config.timeout());
            return new StepOutcome(true, null, log.since(mark));
        } catch (Qmp.QmpException e) {
            return new StepOutcome(false, e.description(), log.since(mark));
        }
    }

    /**
     * Unplugs a device as a guest would let it go: {@code device_del}, then the guest's answer to the ACPI request,
     * a write of the slot's bit to the PIIX4 eject register ({@code o /w 0xae08 <1 << slot>} through HMP), then
     * waits for {@code DEVICE_DELETED}.
     */
    public StepOutcome unplug(String device) {
        LabDevice d = config.device(device);
        long mark = log.mark();
        int events = qmp.events().size();
        try {
            qmp.execute("device_del", Map.of("id", device), config.timeout());
        } catch (Qmp.QmpException e) {
            return new StepOutcome(false, e.description(), log.since(mark));
        }
        String hmp = String.format("o /w 0x%x 0x%x", PIIX4_EJECT_PORT, d.ejectBit());
        String said = qmp.hmp(hmp, config.timeout());
        if (!said.isBlank()) {
            throw new LabException("HMP '" + hmp + "' (the eject of " + device + ") answered: " + said.strip());
        }
        List<JsonNode> before = qmp.events().subList(0, events);
        qmp.awaitEvent(e -> !before.contains(e) && "DEVICE_DELETED".equals(e.path("event").asText())
                && device.equals(e.path("data").path("device").asText()), config.timeout(), "DEVICE_DELETED of " + device);
        return new StepOutcome(true, null, log.since(mark));
    }

    /** {@code stop}: pauses the VM. */
    public StepOutcome stop() {
        return simple("stop");
    }

    /** {@code cont}: runs the VM (the lab's firmware halts at once). */
    public StepOutcome cont() {
        return simple("cont");
    }

    private StepOutcome simple(String command) {
        long mark = log.mark();
        try {
            qmp.execute(command, Map.of(), config.timeout());
            return new StepOutcome(true, null, log.since(mark));
        } catch (Qmp.QmpException e) {
            return new StepOutcome(false, e.description(), log.since(mark));
        }
    }

    /** {@code query-status}'s {@code status} ({@code prelaunch}, {@code paused}, {@code running}, {@code postmigrate}, ...). */
    public String runState() {
        return qmp.execute("query-status", Map.of(), config.timeout()).path("status").asText();
    }

    /** The migration blockers {@code query-migrate} lists now ({@code blocked-reasons}), in QEMU's order. */
    public List<String> blockers() {
        JsonNode info = qmp.execute("query-migrate", Map.of(), config.timeout());
        List<String> out = new ArrayList<>();
        info.path("blocked-reasons").forEach(r -> out.add(r.asText()));
        return out;
    }

    /**
     * A migration's result: {@code status} as {@code query-migrate} last said ({@code completed}, {@code failed},
     * ...; null when {@code migrate} itself was refused), QEMU's error text ({@code migrate}'s error, or
     * {@code error-desc}), the blockers listed just before, and the log entries from {@code migrate} until the end.
     */
    public record MigrationOutcome(String status, String error, List<String> blockers, List<LabEntry> entries) {
        public boolean completed() {
            return "completed".equals(status);
        }

        public List<LabEntry> backendCalls() {
            return LabLog.backendCalls(entries);
        }
    }

    /**
     * Migrates to {@code exec:cat > /dev/null} from a paused VM (pauses it first if it runs) and polls
     * {@code query-migrate} until the migration ends. The VM stays paused afterwards ({@code postmigrate}); QEMU 10.0
     * postpones the dirty-tracking stop until it runs again ({@link #cont}).
     */
    public MigrationOutcome migrate() {
        if ("running".equals(runState())) {
            stop();
        }
        List<String> blockers = blockers();
        long mark = log.mark();
        try {
            qmp.execute("migrate", Map.of("uri", MIGRATION_URI), config.timeout());
        } catch (Qmp.QmpException e) {
            return new MigrationOutcome(null, e.description(), blockers, log.since(mark));
        }
        long deadline = System.nanoTime() + config.timeout().toNanos();
        while (true) {
            JsonNode info = qmp.execute("query-migrate", Map.of(), config.timeout());
            String status = info.path("status").asText();
            if (status.equals("completed") || status.equals("failed") || status.equals("cancelled")) {
                String error = info.has("error-desc") ? info.get("error-desc").asText() : null;
                return new MigrationOutcome(status, error, blockers, log.since(mark));
            }
            if (System.nanoTime() > deadline) {
                throw new LabException("the migration did not end within " + config.timeout().toMillis()
                        + " ms (last status " + status + "); " + qemu.describe());
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted during a migration");
            }
        }
    }

    /** The device writes guest memory (the mock's DMA simulation); recorded as a {@code DMA} lab entry. */
    public long dma(String device, long iova, long length) {
        Integer devId = kernel.devId(device);
        if (devId == null) {
            throw new IllegalStateException("device " + device + " is not bound now, so it cannot write guest memory");
        }
        long marked = mock.dmaSimulation().orElseThrow(() -> new LabException("the backend simulates no DMA"))
                .dmaWrite(devId, iova, length);
        log.lab("DMA", Map.of("device", device, "devId", devId, "iova", RecordingLabBackend.hex(iova),
                "length", RecordingLabBackend.hex(length), "marked", marked), "ok");
        return marked;
    }

    /** The {@code nth} next backend call of {@code op} fails with {@code errno} (the mock's fault injection). */
    public void failNth(BackendOp op, int nth, Errno errno) {
        mock.faultInjection().orElseThrow(() -> new LabException("the backend injects no faults")).failNth(op, nth, errno);
        log.lab("FAULT", Map.of("op", op.name(), "nth", nth, "errno", errno.name()), "ok");
    }

    /** Kills QEMU and releases the kernel, the backend and the work directory. Safe to call twice. */
    @Override
    public void close() {
        if (qmp != null) {
            qmp.close();
        }
        if (qemu != null) {
            qemu.close();
        }
        kernel.close();
        mock.close();
        deleteTree(workDir);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
