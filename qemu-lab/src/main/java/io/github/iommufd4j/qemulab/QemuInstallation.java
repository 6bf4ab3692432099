package io.github.iommufd4j.qemulab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where the lab's QEMU and scripted kernel are: the binary that {@code qemu-lab/install} unpacked into its cache,
 * its data directory, the LD_PRELOAD library, and the lab's halting firmware image.
 *
 * <p>Lookup: system property {@code qemulab.cache}, else environment {@code QEMU_LAB_CACHE}, else
 * {@code ~/.cache/iommufd4j/qemu-lab} holds {@code usr/bin/qemu-system-x86_64} and {@code usr/share/qemu}. The library
 * is system property {@code qemulab.preload}, else {@code <module>/target/native/libqemulab.so}, built by
 * {@code <module>/preload/build} when missing ({@code <module>} is system property {@code qemulab.module}, else the
 * working directory).
 *
 * @param binary    the QEMU binary
 * @param dataDir   its data directory ({@code -L})
 * @param preload   the scripted kernel library
 * @param firmware  the halting firmware image ({@code -bios})
 * @param version   the first line of {@code --version}
 */
public record QemuInstallation(Path binary, Path dataDir, Path preload, Path firmware, String version) {

    /** The version prefix the lab is written for. */
    public static final String WANTED_VERSION = "QEMU emulator version 10.0.";
    /** Size of the halting firmware image: the size of SeaBIOS's bios-256k.bin, so the memory map is the same. */
    public static final int FIRMWARE_SIZE = 256 * 1024;

    private static volatile Object cached;

    /** The installation, or why there is none: cached per JVM. */
    public static synchronized Availability detect() {
        if (cached == null) {
            try {
                cached = find();
            } catch (LabException e) {
                cached = e.getMessage();
            }
        }
        return cached instanceof QemuInstallation q ? new Availability(Optional.of(q), null)
                : new Availability(Optional.empty(), (String) cached);
    }

    /** Either an installation or the reason there is none. */
    public record Availability(Optional<QemuInstallation> installation, String reason) {
        /** The installation, or a {@link LabException} with the reason. */
        public QemuInstallation require() {
            return installation.orElseThrow(() -> new LabException(reason));
        }
    }

    /** The cache folder {@code qemu-lab/install} uses. */
    public static Path cacheDir() {
        String dir = System.getProperty("qemulab.cache", System.getenv("QEMU_LAB_CACHE"));
        if (dir == null || dir.isBlank()) {
            return Paths.get(System.getProperty("user.home"), ".cache", "iommufd4j", "qemu-lab");
        }
        return Paths.get(dir);
    }

    private static QemuInstallation find() {
        Path cache = cacheDir();
        Path binary = cache.resolve("usr/bin/qemu-system-x86_64");
        Path data = cache.resolve("usr/share/qemu");
        if (!Files.isExecutable(binary)) {
            throw new LabException("QEMU 10.0 is not installed: no " + binary + " (run qemu-lab/install)");
        }
        String version = run(List.of(binary.toString(), "-L", data.toString(), "--version")).lines().findFirst().orElse("");
        if (!version.startsWith(WANTED_VERSION)) {
            throw new LabException(binary + " is '" + version + "', not " + WANTED_VERSION + "x (run qemu-lab/install)");
        }
        Path module = Paths.get(System.getProperty("qemulab.module", System.getProperty("user.dir"))).toAbsolutePath();
        String lib = System.getProperty("qemulab.preload");
        Path preload = lib != null ? Paths.get(lib) : module.resolve("target/native/libqemulab.so");
        Path build = module.resolve("preload/build");
        if (lib == null && Files.isRegularFile(build)) {
            // Rebuilds only when the source or the headers changed.
            String out = run(List.of("bash", build.toString(), preload.toString()));
            if (!Files.isRegularFile(preload)) {
                throw new LabException("the scripted kernel library was not built (" + build + " said: " + out.strip() + ")");
            }
        }
        if (!Files.isRegularFile(preload)) {
            throw new LabException("no scripted kernel library at " + preload + " (run qemu-lab/preload/build)");
        }
        Path firmware = cache.resolve("qemu-lab-halt.bin");
        ensureFirmware(firmware);
        return new QemuInstallation(binary, data, preload, firmware, version);
    }

    /**
     * Writes the halting firmware if it is missing: {@value #FIRMWARE_SIZE} bytes of {@code hlt} (0xf4). The CPU
     * starts at the reset vector inside it and halts with interrupts off, so a running VM does nothing and, unlike
     * SeaBIOS, never reprograms the PAM registers: the guest memory map stays the one QEMU builds at reset.
     */
    static void ensureFirmware(Path firmware) {
        try {
            if (Files.isRegularFile(firmware) && Files.size(firmware) == FIRMWARE_SIZE) {
                return;
            }
            byte[] image = new byte[FIRMWARE_SIZE];
            Arrays.fill(image, (byte) 0xf4);
            Files.createDirectories(firmware.getParent());
            Path tmp = Files.createTempFile(firmware.getParent(), "halt", ".tmp");
            Files.write(tmp, image);
            Files.move(tmp, firmware, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LabException("cannot write the halting firmware " + firmware + ": " + e.getMessage(), e);
        }
    }

    private static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new LabException(String.join(" ", command) + " did not finish in 120 s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) { // a failed build must not leave an older library in use
                throw new LabException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new LabException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted running " + command.get(0), e);
        }
    }
}
