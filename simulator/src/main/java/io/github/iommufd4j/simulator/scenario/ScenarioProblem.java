package io.github.iommufd4j.simulator.scenario;

import java.util.Objects;

/**
 * One thing wrong with a scenario.
 *
 * @param path    the key path of the offending value, as in the file ({@code devices[2].iommu},
 *                {@code steps[4].dma.iova})
 * @param message what is wrong, and what was expected where that helps
 *                ({@code unknown IOMMU 'smmu9'; expected one of iommu0, iommu1})
 */
public record ScenarioProblem(String path, String message) {
    public ScenarioProblem {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
    }

    /** {@code path: message}, the form a caller prefixes with {@code file:line:column: }. */
    @Override
    public String toString() {
        return path + ": " + message;
    }
}
