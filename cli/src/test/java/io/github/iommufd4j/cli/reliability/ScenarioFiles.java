package io.github.iommufd4j.cli.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The scenario files the reliability tests start from: the shipped examples, and the CLI's valid fixtures. */
final class ScenarioFiles {
    private ScenarioFiles() {
    }

    /** {@code examples/*} at the repository root, and the valid fixtures of the cli and the simulator. */
    static List<Path> all() {
        List<Path> out = new ArrayList<>();
        for (Path dir : List.of(Path.of("..", "examples"), Path.of("src", "test", "resources", "valid"),
                Path.of("..", "simulator", "src", "test", "resources", "valid"))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.toString().matches(".*\\.(yaml|yml|json)")).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }
}
