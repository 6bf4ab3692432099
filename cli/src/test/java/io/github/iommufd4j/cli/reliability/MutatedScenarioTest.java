package io.github.iommufd4j.cli.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.cli.Main;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import io.github.iommufd4j.simulator.io.ScenarioWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Thousands of seeded mutations of valid scenario files (bytes flipped, lines dropped, doubled or swapped,
 * tokens replaced by hostile ones) run through {@code iommufd4j simulate} in-process: the exit status is 0 (it
 * ran) or 2 (invalid, with a message), never 1 (internal error), and stderr never holds a stack trace.
 */
class MutatedScenarioTest {
    static final int MUTANTS = Integer.getInteger("iommufd4j.mutants", 3000);
    static final String[] TOKENS = {"-1", "0", "0x", "0x8000000000000000", "0xffffffffffffffff", "99999999999999999999",
        "-0x1000", "1e3", "true", "null", "~", "''", "\"", "'", "{", "}", "[", "]", ":", "- ", ",", "&a", "*a", "!!binary",
        "\t", "attach", "fault", "vf0", "iommu0", "EINVAL", "HWPT_ALLOC", "on", "off", "auto", "{}", "[]", "version: 2",
        "nth: 0", "nth: -1", "length: 0", "pageSize: 3", "pageSize: 0", "\u0000", "\u00e9", "#", "---", "...", "? ",
        "<<: *a", "\\u0000"};

    record Outcome(int exit, String out, String err) {
    }

    /** One command line for every run (picocli resets options before each parse), its streams captured. */
    private final CommandLine cl = new CommandLine(new Main());
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    {
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
    }

    Outcome simulate(Path file) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        int exit = cl.execute("simulate", "--format", "json", file.toString());
        return new Outcome(exit, out.toString(), err.toString());
    }

    static String mutate(String text, SplittableRandom rnd) {
        int rounds = 1 + rnd.nextInt(3);
        for (int i = 0; i < rounds; i++) {
            List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
            switch (rnd.nextInt(6)) {
                case 0 -> { // flip a byte
                    byte[] b = text.getBytes(StandardCharsets.UTF_8);
                    if (b.length > 0) {
                        b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    text = new String(b, StandardCharsets.UTF_8);
                    continue;
                }
                case 1 -> lines.remove(rnd.nextInt(lines.size()));
                case 2 -> {
                    int k = rnd.nextInt(lines.size());
                    lines.add(k, lines.get(k));
                }
                case 3 -> {
                    int a = rnd.nextInt(lines.size());
                    int c = rnd.nextInt(lines.size());
                    String t = lines.get(a);
                    lines.set(a, lines.get(c));
                    lines.set(c, t);
                }
                default -> { // replace a token (a run of word characters) with a hostile one
                    int k = rnd.nextInt(lines.size());
                    String[] words = lines.get(k).split("(?<=\\W)|(?=\\W)");
                    if (words.length > 0) {
                        words[rnd.nextInt(words.length)] = TOKENS[rnd.nextInt(TOKENS.length)];
                        lines.set(k, String.join("", words));
                    }
                }
            }
            text = String.join("\n", lines);
        }
        return text;
    }

    @Test
    void mutatedScenariosExitWith0Or2AndNeverAStackTrace(@TempDir Path dir) throws Exception {
        List<Path> seeds = new ArrayList<>(ScenarioFiles.all());
        for (long s = 0; s < 5; s++) {
            Path g = dir.resolve("generated-" + s + ".yaml");
            Files.writeString(g, ScenarioWriter.toYaml(ScenarioGenerator.generate(s, ScenarioGenerator.Options.defaults())));
            seeds.add(g);
        }
        long base = Long.decode(System.getProperty("iommufd4j.seed", "0x3a7a"));
        SplittableRandom rnd = new SplittableRandom(base);
        int[] byExit = new int[8];
        List<String> failures = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < MUTANTS && failures.size() < 5; i++) {
            Path original = seeds.get(i % seeds.size());
            String name = original.getFileName().toString();
            String ext = name.substring(name.lastIndexOf('.'));
            String mutant = mutate(Files.readString(original), rnd);
            Path file = dir.resolve("mutant-" + i + ext);
            Files.writeString(file, mutant);
            Outcome o = simulate(file);
            byExit[Math.min(o.exit(), 7)]++;
            boolean trace = o.err().contains("\tat ") || o.err().contains("Exception in thread");
            if ((o.exit() != 0 && o.exit() != 2) || trace || (o.exit() == 2 && o.err().isBlank())) {
                Path keptDir = Files.createDirectories(Path.of("target", "mutants").toAbsolutePath());
                Path kept = Files.writeString(keptDir.resolve("mutant-" + i + ext), mutant, StandardCharsets.UTF_8);
                failures.add("mutant " + i + " of " + original + " (seed 0x" + Long.toHexString(base) + ", kept as "
                        + kept + "): exit " + o.exit() + ", stderr: " + o.err());
            } else {
                Files.delete(file);
            }
        }
        System.out.printf("mutated scenarios: %d mutants of %d files, exit 0: %d, exit 2: %d, other: %d, %d ms%n",
                MUTANTS, seeds.size(), byExit[0], byExit[2], MUTANTS - byExit[0] - byExit[2],
                (System.nanoTime() - t0) / 1_000_000);
        assertThat(failures).isEmpty();
        // Both outcomes must be common, or the mutations are too mild or too wild to test anything.
        assertThat(byExit[0]).isGreaterThan(MUTANTS / 20);
        assertThat(byExit[2]).isGreaterThan(MUTANTS / 5);
    }
}
