package io.github.iommufd4j.qemulab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One QEMU process: started with a command line and environment, its stderr captured with QEMU's
 * {@code "qemu-system-x86_64: "} prefix stripped, and always killed: by {@link #close}, or by a JVM shutdown hook
 * for processes still alive when the JVM exits.
 *
 * <p>stderr goes to a file, not a pipe: QEMU writes it unbuffered, so whatever it printed before answering a QMP
 * command is in the file when the answer arrives, and {@link #stderr()} read after a command sees it all (a pipe
 * drained by a thread of ours could lag behind).
 */
public final class QemuProcess implements AutoCloseable {
    /** The prefix QEMU puts before its errors and warnings. */
    public static final String PREFIX = "qemu-system-x86_64: ";
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "qemu-lab-reaper"));
    }

    private final Process process;
    private final Path stderrFile;
    private final long startNanos;

    private QemuProcess(Process process, Path stderrFile, long startNanos) {
        this.process = process;
        this.stderrFile = stderrFile;
        this.startNanos = startNanos;
    }

    /**
     * Starts {@code command} in {@code workDir} with {@code env} added to the JVM's environment; stderr goes to
     * {@code workDir/stderr.log}.
     */
    public static QemuProcess start(List<String> command, Map<String, String> env, Path workDir) {
        Path err = workDir.resolve("stderr.log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        try {
            Process p = pb.start();
            LIVE.add(p);
            return new QemuProcess(p, err, t0);
        } catch (IOException e) {
            throw new LabException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
    }

    /** The process id. */
    public long pid() {
        return process.pid();
    }

    /** When {@link #start} began, from {@link System#nanoTime()}. */
    public long startNanos() {
        return startNanos;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The complete stderr lines so far, prefix stripped. */
    public List<String> stderr() {
        String text;
        try {
            text = Files.readString(stderrFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String line : text.substring(0, end).split("\n", -1)) {
            out.add(line.startsWith(PREFIX) ? line.substring(PREFIX.length()) : line);
        }
        return out;
    }

    /** A one-line account for messages: pid, exit status, last stderr lines. */
    public String describe() {
        List<String> err = stderr();
        return "QEMU pid " + pid() + (isAlive() ? " (running)" : " (exited " + process.exitValue() + ")")
                + (err.isEmpty() ? ", stderr empty" : ", stderr: " + String.join(" | ", err.subList(Math.max(0, err.size() - 5), err.size())));
    }

    /** Kills the process (SIGKILL) if it still runs and waits for it. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LIVE.remove(process);
    }
}
