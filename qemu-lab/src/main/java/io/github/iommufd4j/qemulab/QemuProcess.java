package io.github.iommufd4j.qemulab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One QEMU process: started with a command line and environment, its stderr captured line by line with QEMU's
 * {@code "qemu-system-x86_64: "} prefix stripped, and always killed: by {@link #close}, or by a JVM shutdown hook
 * for processes still alive when the JVM exits.
 */
public final class QemuProcess implements AutoCloseable {
    /** The prefix QEMU puts before its errors and warnings. */
    public static final String PREFIX = "qemu-system-x86_64: ";
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "qemu-lab-reaper"));
    }

    private final Process process;
    private final List<String> command;
    private final List<String> stderr = new ArrayList<>();
    private final Thread stderrReader;
    private final long startNanos;

    private QemuProcess(Process process, List<String> command, long startNanos) {
        this.process = process;
        this.command = List.copyOf(command);
        this.startNanos = startNanos;
        this.stderrReader = new Thread(this::readStderr, "qemu-lab-stderr-" + process.pid());
        stderrReader.setDaemon(true);
        stderrReader.start();
    }

    /** Starts {@code command} in {@code workDir} with {@code env} added to the JVM's environment. */
    public static QemuProcess start(List<String> command, Map<String, String> env, Path workDir) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        try {
            Process p = pb.start();
            LIVE.add(p);
            return new QemuProcess(p, command, t0);
        } catch (IOException e) {
            throw new LabException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
    }

    private void readStderr() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (stderr) {
                    stderr.add(line.startsWith(PREFIX) ? line.substring(PREFIX.length()) : line);
                    stderr.notifyAll();
                }
            }
        } catch (IOException ignored) {
            // the process went away
        }
    }

    /** The command line. */
    public List<String> command() {
        return command;
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

    /** The exit status, or null while running. */
    public Integer exitCode() {
        return process.isAlive() ? null : process.exitValue();
    }

    /** The stderr lines so far, prefix stripped. */
    public List<String> stderr() {
        synchronized (stderr) {
            return List.copyOf(stderr);
        }
    }

    /** Waits until stderr has a line containing {@code text}; returns it, or null on timeout. */
    public String awaitStderr(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stderr) {
            while (true) {
                for (String l : stderr) {
                    if (l.contains(text)) {
                        return l;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                try {
                    stderr.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
    }

    /** Waits for the process to end by itself; returns its exit status, or null on timeout. */
    public Integer waitFor(Duration timeout) {
        try {
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                stderrReader.join(1000);
                return process.exitValue();
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
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
            stderrReader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LIVE.remove(process);
    }
}
