package io.github.iommufd4j.tck;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.api.IommufdBackends;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

/**
 * The TCK over whichever backend is on the class path, found with {@link java.util.ServiceLoader}: the provider
 * named by the configuration parameter or system property {@value #BACKEND_PROPERTY}, or the only provider when
 * it is not set. Options come from {@value #OPTIONS_PROPERTY} ({@code key=value,key=value}). Devices come from
 * the backend's {@code DeviceProvisioning} ({@link ProvisioningFixture}).
 *
 * <p>This is the class Surefire's {@code dependenciesToScan} runs from the TCK jar, and the one
 * {@link TckRunner} launches. When no provider, several providers and no choice, or an unknown name is found,
 * every rule is aborted (skipped) with a message saying what to set.
 */
@ExtendWith(ServiceLoaderBackendTck.BackendChoice.class)
public class ServiceLoaderBackendTck extends IommufdBackendVerification {
    /** The configuration parameter (or system property) naming the backend: {@code -Diommufd4j.backend=mock}. */
    public static final String BACKEND_PROPERTY = "iommufd4j.backend";
    /** Backend options, {@code key=value} pairs separated by commas. */
    public static final String OPTIONS_PROPERTY = "iommufd4j.backend.options";

    private String backendName;
    private String options;

    @Override
    protected TckFixture fixture() {
        IommufdBackendProvider provider;
        try {
            provider = chooseProvider(backendName);
        } catch (IllegalArgumentException e) {
            Assumptions.abort(e.getMessage());
            throw e;
        }
        return new ProvisioningFixture(provider, parseOptions(options));
    }

    /**
     * The provider called {@code name}, or the only provider on the class path when {@code name} is null or blank.
     *
     * @throws IllegalArgumentException naming what was found and what to set when there is no such provider, none
     *                                  at all, or several and no name
     */
    public static IommufdBackendProvider chooseProvider(String name) {
        if (name != null && !name.isBlank()) {
            return IommufdBackends.provider(name.strip());
        }
        List<IommufdBackendProvider> all = IommufdBackends.providers();
        if (all.size() == 1) {
            return all.get(0);
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no iommufd4j backend on the class path: add a backend jar (such as"
                    + " iommufd4j-backend-mock) to the test class path");
        }
        throw new IllegalArgumentException("several iommufd4j backends on the class path ("
                + all.stream().map(IommufdBackendProvider::name).collect(Collectors.joining(", "))
                + "): choose one with -D" + BACKEND_PROPERTY + "=NAME");
    }

    /** Options from {@code key=value,key=value} (null or blank: none). */
    public static BackendOptions parseOptions(String text) {
        if (text == null || text.isBlank()) {
            return BackendOptions.empty();
        }
        return BackendOptions.parse(Arrays.stream(text.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList());
    }

    /** Reads the backend choice from the JUnit configuration (which falls back to system properties). */
    static final class BackendChoice implements TestInstancePostProcessor {
        @Override
        public void postProcessTestInstance(Object testInstance, ExtensionContext context) {
            if (testInstance instanceof ServiceLoaderBackendTck tck) {
                Optional<String> name = context.getConfigurationParameter(BACKEND_PROPERTY);
                tck.backendName = name.orElse(System.getProperty(BACKEND_PROPERTY));
                tck.options = context.getConfigurationParameter(OPTIONS_PROPERTY)
                        .orElse(System.getProperty(OPTIONS_PROPERTY));
            }
        }
    }
}
