package io.github.iommufd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code compare}: the same scenarios under several profiles, as a table, JSON and a chart. */
class CompareCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String... args) throws Exception {
        Cli.Result r = Cli.run(args);
        assertThat(r.exit()).as(r.err()).isZero();
        return JSON.readTree(r.out());
    }

    private static JsonNode row(JsonNode root, String profile) {
        for (JsonNode r : root.get("profiles")) {
            if (r.get("profile").asText().equals(profile)) {
                return r;
            }
        }
        throw new AssertionError("no row for " + profile + " in " + root);
    }

    @Test
    void generatedScenariosUnderTheDefaultProfilesAccountForEveryCopiedPage() throws Exception {
        JsonNode root = json("compare", "--count", "60", "--format", "json");
        assertThat(root.get("scenarios").get("generated").asInt()).isEqualTo(60);
        assertThat(root.get("scenarios").get("seed").asText()).isEqualTo("0x5afe0000");
        assertThat(root.get("profiles")).extracting(r -> r.get("profile").asText())
                .containsExactly("qemu-9.1", "qemu-10.0", "qemu-9.1+split-containers", "safe");
        for (JsonNode r : root.get("profiles")) {
            assertThat(r.get("scenarios").asInt()).isEqualTo(60);
            assertThat(r.get("pagesCopied").asLong()).as(r.toString()).isEqualTo(r.get("pagesNeeded").asLong()
                    + r.get("pagesOverReported").asLong() + r.get("pagesPerpetual").asLong());
            assertThat(r.get("pagesLost").asLong()).isLessThanOrEqualTo(r.get("pagesWritten").asLong());
        }
        JsonNode safe = row(root, "safe");
        assertThat(safe.get("pagesLost").asLong()).isZero();
        assertThat(safe.get("scenariosLosingPages").asInt()).isZero();
        assertThat(safe.get("pagesOverReported").asLong()).isZero();
        assertThat(row(root, "qemu-9.1").get("pagesLost").asLong()).isPositive();
        assertThat(safe.get("pagesNeeded").asLong()).isPositive();
    }

    @Test
    void theSameSeedGivesTheSameTableAndAnotherSeedAnotherOne() {
        Cli.Result a = Cli.run("compare", "--count", "30", "--seed", "7", "--profile", "qemu-9.1,safe");
        Cli.Result b = Cli.run("compare", "--count", "30", "--seed", "7", "--profile", "qemu-9.1", "--profile", "safe");
        Cli.Result c = Cli.run("compare", "--count", "30", "--seed", "8", "--profile", "qemu-9.1,safe");
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(a.out()).isEqualTo(b.out()).startsWith("Comparison over 30 generated scenarios, seeds 0x7 to 0x24, with faults");
        assertThat(a.out().lines().filter(l -> l.startsWith("qemu-9.1") || l.startsWith("safe"))).hasSize(2);
        assertThat(c.out()).isNotEqualTo(a.out());
    }

    @Test
    void filesAreComparedToo() throws Exception {
        JsonNode root = json("compare", "--format", "json", "--profile", "qemu-9.1,qemu-9.1+split-containers,safe",
                "../examples/sticky-flag-lost-pages.yaml");
        assertThat(root.get("scenarios").get("files")).hasSize(1);
        assertThat(row(root, "qemu-9.1").get("pagesLost").asLong()).isEqualTo(3);
        assertThat(row(root, "qemu-9.1").get("pagesCopied").asLong()).isZero();
        // Split containers: vf1 (plain) never shares vf0's container, so its own has no dirty_pages_supported: perpetual.
        assertThat(row(root, "qemu-9.1+split-containers").get("pagesLost").asLong()).isZero();
        assertThat(row(root, "qemu-9.1+split-containers").get("pagesPerpetual").asLong()).isEqualTo(0x400 - 3);
        assertThat(row(root, "safe").get("pagesLost").asLong()).isZero();
        assertThat(row(root, "safe").get("pagesNeeded").asLong()).isEqualTo(3);
    }

    @Test
    void theChartIsAnSvgOrPngOfEveryProfile(@TempDir Path dir) throws Exception {
        Path svg = dir.resolve("charts/compare.svg");
        Cli.Result r = Cli.run("compare", "--count", "20", "--profile", "qemu-9.1,safe", "--chart", svg.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).endsWith("chart: " + svg + System.lineSeparator());
        String doc = Files.readString(svg);
        assertThat(doc).startsWith("<?xml").contains("<svg").contains("qemu-9.1").contains("safe")
                .contains("Pages lost against pages copied");
        Path png = dir.resolve("compare.png");
        assertThat(Cli.run("compare", "--count", "5", "--chart", png.toString()).exit()).isZero();
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
        assertThat(head).containsExactly((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }

    @Test
    void badArgumentsAreExit2WithTheReason() {
        assertThat(Cli.run("compare", "--profile", "qemu-8.0").err())
                .startsWith("compare: --profile: unknown profile 'qemu-8.0'; known: qemu-9.1, ");
        assertThat(Cli.run("compare", "--profile", "qemu-8.0").exit()).isEqualTo(2);
        Cli.Result chart = Cli.run("compare", "--chart", "out.gif");
        assertThat(chart.exit()).isEqualTo(2);
        assertThat(chart.err()).contains("--chart out.gif: unknown file type; expected a .svg or .png file");
        assertThat(Cli.run("compare", "--count", "0").err()).contains("--count 0 must be at least 1");
        assertThat(Cli.run("compare", "--seed", "zz").err()).contains("--seed 'zz' is not a number");
        assertThat(Cli.run("compare", "--format", "xml").exit()).isEqualTo(2);
        Cli.Result broken = Cli.run("compare", "src/test/resources/broken/version-2.yaml");
        assertThat(broken.exit()).isEqualTo(2);
        assertThat(broken.err()).contains("version 2 is not supported").doesNotContain("Exception");
    }

    @Test
    void aScenarioThatCannotRunAndAChartThatCannotBeWrittenAreExit2BeforeAnyWork(@TempDir Path dir) throws Exception {
        Path scenario = dir.resolve("other-backend.yaml");
        Files.writeString(scenario, Files.readString(Path.of("../examples/sticky-flag-lost-pages.yaml"))
                .replaceFirst("(?m)^version: 1$", "version: 1\nbackend: nope"));
        Cli.Result unknown = Cli.run("compare", scenario.toString());
        assertThat(unknown.exit()).as(unknown.err()).isEqualTo(2);
        assertThat(unknown.err()).contains("backend: unknown backend 'nope'; expected one of").doesNotContain("Exception");

        Path notADirectory = dir.resolve("file");
        Files.writeString(notADirectory, "");
        Cli.Result chart = Cli.run("compare", "--count", "3", "--chart", notADirectory.resolve("c.svg").toString());
        assertThat(chart.exit()).as(chart.err()).isEqualTo(2);
        assertThat(chart.err()).contains("is not a writable directory");
        assertThat(chart.out()).as("refused before any scenario ran").isEmpty();
    }
}
