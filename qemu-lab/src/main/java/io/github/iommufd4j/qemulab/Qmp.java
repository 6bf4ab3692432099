package io.github.iommufd4j.qemulab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A QMP client on a connected unix socket: reads the greeting, negotiates capabilities, runs commands one at a
 * time (each with an id, waiting for its answer) and collects events. Each command, its return and each event is
 * also written to the run's {@link LabLog} as a {@link LabEntry.Kind#LAB} entry, so the log shows which calls
 * happened between a command and its return.
 */
public final class Qmp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LineChannel channel;
    private final LabLog log;
    private final Object lock = new Object();
    private final Map<Long, JsonNode> answers = new HashMap<>();
    private final List<JsonNode> events = new ArrayList<>();
    private final Thread reader;
    private JsonNode greeting;
    private volatile String closedReason;
    private long nextId = 1;

    /** An error QEMU answered a command with. */
    public static final class QmpException extends LabException {
        private static final long serialVersionUID = 1L;
        private final String errorClass;
        private final String description;

        QmpException(String command, String errorClass, String description) {
            super("QMP " + command + " failed: " + errorClass + ": " + description);
            this.errorClass = errorClass;
            this.description = description;
        }

        /** QEMU's error class ({@code GenericError}, {@code DeviceNotFound}, ...). */
        public String errorClass() {
            return errorClass;
        }

        /** QEMU's error text. */
        public String description() {
            return description;
        }
    }

    private Qmp(SocketChannel channel, LabLog log) {
        this.channel = new LineChannel(channel);
        this.log = log;
        this.reader = new Thread(this::readLoop, "qemu-lab-qmp");
        reader.setDaemon(true);
        reader.start();
    }

    /** Wraps a connected channel, waits for the greeting and negotiates capabilities. */
    public static Qmp open(SocketChannel channel, LabLog log, Duration timeout) {
        Qmp q = new Qmp(channel, log);
        q.awaitGreeting(timeout);
        q.execute("qmp_capabilities", Map.of(), timeout);
        return q;
    }

    private void readLoop() {
        try {
            String line;
            while ((line = channel.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode msg = JSON.readTree(line);
                synchronized (lock) {
                    if (msg.has("QMP")) {
                        greeting = msg.get("QMP");
                    } else if (msg.has("event")) {
                        events.add(msg);
                        Map<String, Object> args = new LinkedHashMap<>();
                        args.put("event", msg.get("event").asText());
                        if (msg.has("data")) {
                            args.put("data", msg.get("data").toString());
                        }
                        log.lab("QMP_EVENT", args, "ok");
                    } else if (msg.has("id")) {
                        answers.put(msg.get("id").asLong(), msg);
                    }
                    lock.notifyAll();
                }
            }
            closedReason = "QEMU closed the QMP connection";
        } catch (IOException e) {
            closedReason = "QMP connection failed: " + e.getMessage();
        }
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    private void awaitGreeting(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (greeting == null) {
                waitUntil(deadline, "the QMP greeting");
            }
        }
    }

    private void waitUntil(long deadline, String what) {
        if (closedReason != null) {
            throw new LabException(closedReason + " while waiting for " + what);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new LabException("no " + what + " from QEMU in time");
        }
        try {
            lock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted waiting for " + what);
        }
    }

    /**
     * Runs a command and returns its {@code return} value.
     *
     * @throws QmpException when QEMU answers with an error
     * @throws LabException when QEMU does not answer in time or the connection is gone
     */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        ObjectNode msg = JSON.createObjectNode();
        msg.put("execute", command);
        if (!arguments.isEmpty()) {
            msg.set("arguments", JSON.valueToTree(arguments));
        }
        long id;
        synchronized (lock) {
            id = nextId++;
        }
        msg.put("id", id);
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("command", command);
        if (!arguments.isEmpty()) {
            args.put("arguments", msg.get("arguments").toString());
        }
        log.lab("QMP", args, "ok");
        try {
            channel.writeLine(msg.toString());
        } catch (IOException e) {
            throw new LabException("cannot send QMP " + command + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode answer;
        synchronized (lock) {
            while ((answer = answers.remove(id)) == null) {
                waitUntil(deadline, "the answer to QMP " + command);
            }
        }
        if (answer.has("error")) {
            JsonNode err = answer.get("error");
            String cls = err.path("class").asText();
            String desc = err.path("desc").asText();
            log.lab("QMP_RETURN", Map.of("command", command, "error", desc), "failed");
            throw new QmpException(command, cls, desc);
        }
        log.lab("QMP_RETURN", Map.of("command", command), "ok");
        return answer.get("return");
    }

    /** An HMP command through {@code human-monitor-command}; returns its output. */
    public String hmp(String commandLine, Duration timeout) {
        return execute("human-monitor-command", Map.of("command-line", commandLine), timeout).asText();
    }

    /** The events so far. */
    public List<JsonNode> events() {
        synchronized (lock) {
            return List.copyOf(events);
        }
    }

    /** Waits for an event matching {@code match} (seen before or after the call) and returns it. */
    public JsonNode awaitEvent(Predicate<JsonNode> match, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                for (JsonNode e : events) {
                    if (match.test(e)) {
                        return e;
                    }
                }
                waitUntil(deadline, what);
            }
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
