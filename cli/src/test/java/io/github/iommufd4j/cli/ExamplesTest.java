package io.github.iommufd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every scenario of {@code examples/} through the command in-process and compares its JSON report with
 * {@code examples/expected/<name>.json}, which was checked by hand against {@code docs/reference/qemu-rules.md} (the
 * README of {@code examples/} says what was checked for each; the rule ids are in each example's opening
 * comment).
 */
class ExamplesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path EXAMPLES = findExamples();
    private static final Path EXPECTED = EXAMPLES.resolve("expected");

    private static Path findExamples() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            Path candidate = p.resolve("examples");
            if (Files.isDirectory(candidate.resolve("expected"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no examples/expected directory above " + dir);
    }

    static List<Path> examples() {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().matches(".*\\.(yaml|yml|json)"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String baseName(Path file) {
        String n = file.getFileName().toString();
        return n.substring(0, n.lastIndexOf('.'));
    }

    private static JsonNode expected(Path example) throws IOException {
        Path file = EXPECTED.resolve(baseName(example) + ".json");
        assertThat(file).as("expected report of %s", example.getFileName()).isRegularFile();
        return JSON.readTree(file.toFile());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    @DisplayName("the report of each example equals its hand-checked expected report")
    void reportEqualsTheExpectedOne(Path example) throws IOException {
        JsonNode expected = expected(example);
        Cli.Result r = Cli.run("simulate", example.toString(), "--format", "json");
        assertThat(r.exit()).as("exit status of %s; stderr: %s", example.getFileName(), r.err()).isZero();
        JsonNode actual = JSON.readTree(r.out());
        List<String> diff = new ArrayList<>();
        diff("$", expected, actual, diff);
        assertThat(diff).as("differences of the report of %s from %s (expected vs actual)%n%s",
                example.getFileName(), EXPECTED.resolve(baseName(example) + ".json"), String.join("\n", diff))
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    @DisplayName("--fail-on-lost exits 3 exactly when the expected dirty.lost is not empty")
    void failOnLostExitsThreeExactlyForExpectedLosses(Path example) throws IOException {
        boolean lost = !expected(example).path("dirty").path("lost").isEmpty();
        Cli.Result r = Cli.run("simulate", example.toString(), "--format", "json", "--fail-on-lost");
        assertThat(r.exit()).as("exit status of %s with --fail-on-lost (stderr: %s)", example.getFileName(), r.err())
                .isEqualTo(lost ? 3 : 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    @DisplayName("each example opens with a comment (YAML) and has a row in the README")
    void opensWithACommentAndIsExplainedInTheReadme(Path example) throws IOException {
        String name = example.getFileName().toString();
        if (!name.endsWith(".json")) {
            List<String> lines = Files.readAllLines(example, StandardCharsets.UTF_8);
            assertThat(lines).as("lines of %s", name).isNotEmpty();
            assertThat(lines.get(0)).as("first line of %s", name).startsWith("# ").hasSizeGreaterThan(20);
            assertThat(lines.get(0)).as("first line of %s names a rule", name).containsPattern("Q-[A-Z]+-\\d");
        }
        String readme = Files.readString(EXAMPLES.resolve("README.md"), StandardCharsets.UTF_8);
        assertThat(readme.lines()).as("README row of %s", name)
                .anyMatch(l -> l.startsWith("| `" + name + "` | Q-") && l.length() > 80);
    }

    @Test
    @DisplayName("at least ten examples, every expected file belongs to one, some lose pages and some do not")
    void theSetOfExamplesIsCompleteAndMixed() throws IOException {
        List<Path> examples = examples();
        assertThat(examples).hasSizeGreaterThanOrEqualTo(10);
        Set<String> names = new TreeSet<>();
        examples.forEach(e -> names.add(baseName(e)));
        assertThat(names).as("example names are unique across extensions").hasSameSizeAs(examples);
        Set<String> expectedNames = new TreeSet<>();
        try (Stream<Path> files = Files.list(EXPECTED)) {
            files.forEach(f -> expectedNames.add(baseName(f)));
        }
        assertThat(expectedNames).as("expected reports").isEqualTo(names);
        int lossy = 0;
        for (Path e : examples) {
            JsonNode report = expected(e);
            assertThat(report.path("leakedObjects").isArray() && report.path("leakedObjects").isEmpty())
                    .as("%s leaks nothing", e.getFileName()).isTrue();
            if (!report.path("dirty").path("lost").isEmpty()) {
                lossy++;
            }
        }
        assertThat(lossy).as("examples losing pages").isGreaterThan(0).isLessThan(examples.size());
    }

    /** Appends one line per difference between {@code expected} and {@code actual} below {@code path}. */
    private static void diff(String path, JsonNode expected, JsonNode actual, List<String> out) {
        if (expected.isObject() && actual.isObject()) {
            Set<String> keys = new TreeSet<>();
            expected.fieldNames().forEachRemaining(keys::add);
            actual.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                String p = path + "." + k;
                if (!expected.has(k)) {
                    out.add(p + ": not expected, actual " + actual.get(k));
                } else if (!actual.has(k)) {
                    out.add(p + ": expected " + expected.get(k) + ", missing");
                } else {
                    diff(p, expected.get(k), actual.get(k), out);
                }
            }
        } else if (expected.isArray() && actual.isArray()) {
            Iterator<JsonNode> e = expected.elements();
            Iterator<JsonNode> a = actual.elements();
            int i = 0;
            while (e.hasNext() || a.hasNext()) {
                String p = path + "[" + i++ + "]";
                if (!a.hasNext()) {
                    out.add(p + ": expected " + e.next() + ", missing");
                } else if (!e.hasNext()) {
                    out.add(p + ": not expected, actual " + a.next());
                } else {
                    diff(p, e.next(), a.next(), out);
                }
            }
        } else if (!expected.equals(actual)) {
            out.add(path + ": expected " + expected + ", actual " + actual);
        }
    }
}
