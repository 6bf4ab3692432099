package io.github.iommufd4j.cli;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.api.IommufdBackends;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The {@code --backend NAME --backend-option K=V...} options of the commands that open one backend. */
final class BackendChoice {
    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "mock",
            description = "Backend to use (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--backend-option", paramLabel = "KEY=VALUE", description = "A backend option; repeatable.")
    List<String> options = new ArrayList<>();

    /**
     * The chosen provider, which must be able to run here.
     *
     * @throws CommandErrors.InvalidInput naming the known backends, or why the chosen one cannot run
     */
    IommufdBackendProvider availableProvider(String command) {
        IommufdBackendProvider provider;
        try {
            provider = IommufdBackends.provider(name);
        } catch (IllegalArgumentException e) {
            throw new CommandErrors.InvalidInput(command + ": " + e.getMessage());
        }
        if (!provider.availability().available()) {
            throw new CommandErrors.InvalidInput(command + ": backend '" + name + "' cannot run here: "
                    + provider.availability().reason());
        }
        return provider;
    }

    /**
     * The chosen backend, opened with the options.
     *
     * @throws CommandErrors.InvalidInput when it cannot run here or rejects its options
     */
    IommufdBackend open(String command) {
        IommufdBackendProvider provider = availableProvider(command);
        BackendOptions options = parsedOptions(command);
        try {
            return provider.open(options);
        } catch (BackendUnavailableException e) {
            throw new CommandErrors.InvalidInput(command + ": backend '" + name + "' cannot run here: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new CommandErrors.InvalidInput(command + ": backend '" + name + "' rejects its options: "
                    + e.getMessage());
        }
    }

    /** The options, parsed. */
    BackendOptions parsedOptions(String command) {
        try {
            return BackendOptions.parse(options);
        } catch (IllegalArgumentException e) {
            throw new CommandErrors.InvalidInput(command + ": " + e.getMessage());
        }
    }
}
