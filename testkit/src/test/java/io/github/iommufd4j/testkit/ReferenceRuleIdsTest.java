package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every rule id the reference documents define ({@code docs/reference/qemu-rules.md}, {@code kernel-uapi.md}) is
 * written out, as itself and not inside a range, in main code where it is implemented and in at least one test;
 * or it is listed below as deliberately not implemented, with the reason.
 */
class ReferenceRuleIdsTest {
    /** The form every definition takes ({@code docs/reference/README.md}). */
    private static final Pattern DEFINITION = Pattern.compile("^(?:### |\\| )([QK]-[A-Z]+(?:-[0-9]+)?)(?= )", Pattern.MULTILINE);

    /** Ids defined but deliberately not implemented, each with why. Kept honest: each must really be absent. */
    private static final Map<String, String> NOT_IMPLEMENTED = new TreeMap<>(Map.ofEntries(
            Map.entry("Q-EV-4", "withdrawn: no QEMU commit does it; a policy idea only"),
            Map.entry("Q-EV-8", "CPR (live update) needs a backend that adopts objects an earlier process made"
                    + " (saved ids, IOMMU_IOAS_CHANGE_PROCESS): the SPI has no such call and the simulator runs one VMM"
                    + " per backend (docs/reference/qemu-rules.md, section 6)"),
            Map.entry("K-GEN-2", "the SPI's calls are typed: no user pointer ever reaches a backend, so an unreadable"
                    + " argument cannot be expressed; backend-linux only hands the kernel buffers it sized and filled"),
            Map.entry("K-GEN-3", "the SPI's calls are typed: no struct size is chosen by a caller; backend-linux always"
                    + " sends the kernel's size (UapiLayoutTest proves the layouts), and only the qemu-lab's scripted"
                    + " kernel checks sizes for QEMU, which it never gets wrong in the lab's runs")));

    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("docs/reference"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no docs/reference above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> defined() {
        Set<String> ids = new LinkedHashSet<>();
        for (String doc : List.of("qemu-rules.md", "kernel-uapi.md")) {
            Matcher m = DEFINITION.matcher(read(root().resolve("docs/reference").resolve(doc)));
            while (m.find()) {
                assertThat(ids.add(m.group(1))).as("%s is defined twice", m.group(1)).isTrue();
            }
        }
        return ids;
    }

    /**
     * The text of every Java and C source of a kind. Implementation: {@code src/main} of every module but the TCK,
     * the qemu-lab's scripted kernel and the kernel lab's C programs. Tests: {@code src/test} of every module, and
     * the TCK's rules (they are tests that ship in {@code tck/src/main}).
     */
    private static String sources(boolean tests) {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> modules = Files.list(root())) {
            for (Path module : modules.filter(Files::isDirectory).toList()) {
                boolean tck = module.getFileName().toString().equals("tck");
                List<Path> dirs = tests
                        ? List.of(module.resolve("src/test"), tck ? module.resolve("src/main") : module.resolve("none"))
                        : List.of(tck ? module.resolve("none") : module.resolve("src/main"), module.resolve("preload"),
                                module.resolve("bench"));
                for (Path src : dirs) {
                    if (!Files.isDirectory(src)) {
                        continue;
                    }
                    try (Stream<Path> files = Files.walk(src)) {
                        files.filter(f -> f.toString().endsWith(".java") || f.toString().endsWith(".c"))
                                .forEach(f -> all.append(read(f)).append('\n'));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all.toString();
    }

    private static boolean writtenOut(String text, String id) {
        return Pattern.compile(Pattern.quote(id) + "(?![0-9])").matcher(text).find();
    }

    @Test
    void everyDefinedRuleIsImplementedAndTestedOrListedWithItsReason() {
        Set<String> ids = defined();
        assertThat(ids).as("ids defined by the reference documents").contains("Q-ATT-1", "Q-DT-7", "Q-EV-13", "K-GDB-6");
        String main = sources(false);
        String test = sources(true);
        List<String> missing = new ArrayList<>();
        for (String id : ids) {
            if (NOT_IMPLEMENTED.containsKey(id)) {
                continue; // main code may still name it, to say it is not modelled
            }
            if (!writtenOut(main, id)) {
                missing.add(id + ": not written out in main code");
            }
            if (!writtenOut(test, id)) {
                missing.add(id + ": no test names it");
            }
        }
        assertThat(missing).as("rule ids neither implemented and tested nor listed as not implemented").isEmpty();
        assertThat(ids).as("every id listed as not implemented is defined").containsAll(NOT_IMPLEMENTED.keySet());
    }
}
