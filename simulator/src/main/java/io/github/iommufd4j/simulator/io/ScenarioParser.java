package io.github.iommufd4j.simulator.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.ScenarioProblem;
import io.github.iommufd4j.simulator.scenario.ScenarioValidator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Reads scenario files ({@code docs/reference/scenario-format.md}) with Jackson databind: YAML for
 * {@code .yaml}/{@code .yml}, JSON for {@code .json}. Every problem of a file is reported at once, in file
 * order, each naming the file, line, column and key path:
 * {@code bad.yaml:9:14: devices[2].iommu: unknown IOMMU 'smmu9'; expected one of iommu0, iommu1}.
 * <ol>
 *   <li>{@link FilePositions} reads the tokens once for the position of every key path, repeated keys, a second
 *       document and broken syntax;</li>
 *   <li>databind binds the records, its checks (unknown and missing keys, types, the records' own checks)
 *       gathered by {@link ProblemCollector} rather than stopping at the first;</li>
 *   <li>{@link ScenarioValidator} checks how the parts fit together, its key paths mapped to positions.</li>
 * </ol>
 */
public final class ScenarioParser {

    /** Reads and checks the scenario in {@code file}; the file is named in messages as given here. */
    public ParsedScenario parse(Path file) {
        return parse(file, s -> List.of());
    }

    /**
     * Reads and checks the scenario in {@code file}, {@code moreChecks} (a caller's own, such as a known backend)
     * reported with the other problems of the file.
     */
    public ParsedScenario parse(Path file, Function<Scenario, List<ScenarioProblem>> moreChecks) {
        String name = file.toString();
        if (Formats.readerFor(name) == null) {
            return parse(name, "", moreChecks); // rejected by its name, unread
        }
        try {
            return parse(name, Files.readString(file, StandardCharsets.UTF_8), moreChecks);
        } catch (IOException e) {
            throw unreadable(name, e);
        }
    }

    /** Reads and checks a scenario from {@code content}, its syntax chosen by the extension of {@code fileName}. */
    public ParsedScenario parse(String fileName, String content) {
        return parse(fileName, content, s -> List.of());
    }

    private ParsedScenario parse(String fileName, String content,
                                 Function<Scenario, List<ScenarioProblem>> moreChecks) {
        ObjectMapper mapper = Formats.readerFor(fileName);
        if (mapper == null) {
            throw new ScenarioException(fileName + ": unknown file type; expected a .yaml, .yml or .json file");
        }
        List<Problem> problems = new ArrayList<>();
        try {
            FilePositions positions = FilePositions.scan(mapper.getFactory(), content, problems);
            Scenario scenario = bind(mapper, fileName, content, new ProblemCollector(positions, problems));
            Stream<ScenarioProblem> checks = scenario == null ? Stream.empty()
                    : Stream.concat(ScenarioValidator.validate(scenario).stream(), moreChecks.apply(scenario).stream());
            checks.forEach(p -> problems.add(new Problem(positions.valueAt(p.path()), p.path(), p.message())));
            if (!problems.isEmpty()) {
                throw new ScenarioException(problems.stream().sorted(Problem.FILE_ORDER).map(p -> p.format(fileName))
                        .toList());
            }
            return new ParsedScenario(fileName, scenario, positions);
        } catch (IOException e) {
            throw unreadable(fileName, e);
        }
    }

    private static Scenario bind(ObjectMapper mapper, String fileName, String content, ProblemCollector problems)
            throws IOException {
        JsonParser p = mapper.createParser(content);
        try (p) {
            return mapper.readerFor(Scenario.class).withAttribute(ProblemCollector.class, problems)
                    .with(Formats.defaultName(fileName)).readValue(p);
        } catch (StreamReadException brokenSyntax) {
            return null; // reported by FilePositions, after the problems read before it
        } catch (JsonMappingException e) {
            if (!(e.getCause() instanceof StreamReadException)) {
                problems.add(e, p, ""); // raised before the first deserializer: an empty file
            }
            return null;
        }
    }

    private static ScenarioException unreadable(String file, IOException e) {
        return new ScenarioException(file + ": cannot read the file (" + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
    }
}
