package io.github.iommufd4j.tck;

import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.api.IommufdBackends;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.BeforeAllCallback;
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
 * {@link TckRunner} launches. Before any rule runs, the choice is checked: no provider, several providers and
 * no name, an unknown name, a backend that cannot run here or that rejects its options fail the class with a
 * {@link TckRunFailure} saying what to set. A run never goes green having tested nothing.
 */
@ExtendWith(ServiceLoaderBackendTck.BackendChoice.class)
public class ServiceLoaderBackendTck extends IommufdBackendVerification {
    /** The configuration parameter (or system property) naming the backend: {@code -Diommufd4j.backend=mock}. */
    public static final String BACKEND_PROPERTY = "iommufd4j.backend";
    /** Backend options, {@code key=value} pairs separated by commas. */
    public static final String OPTIONS_PROPERTY = "iommufd4j.backend.options";

    private TckFixture fixture;

    @Override
    protected TckFixture fixture() {
        return fixture;
    }

    /**
     * The provider called {@code name}, or the only provider on the class path when {@code name} is null or blank.
     *
     * @param name a provider name, or null or blank for the only one
     * @return the provider
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
                + "), and none chosen: set -D" + BACKEND_PROPERTY + "=NAME (Surefire: systemPropertyVariables)");
    }

    /**
     * Options from {@code key=value,key=value}.
     *
     * @param text the options, or null or blank for none
     * @return the options
     * @throws IllegalArgumentException for a pair without {@code =}
     */
    public static BackendOptions parseOptions(String text) {
        if (text == null || text.isBlank()) {
            return BackendOptions.empty();
        }
        return BackendOptions.parse(Arrays.stream(text.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList());
    }

    /**
     * Checks the backend choice once, before any rule (a {@link TckRunFailure} when it is missing, ambiguous,
     * unknown, unavailable or its options are refused), then gives each test instance the fixture.
     */
    static final class BackendChoice implements BeforeAllCallback, TestInstancePostProcessor {
        private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(BackendChoice.class);

        @Override
        public void beforeAll(ExtensionContext context) {
            String name = setting(context, BACKEND_PROPERTY);
            String optionText = setting(context, OPTIONS_PROPERTY);
            IommufdBackendProvider provider;
            try {
                provider = chooseProvider(name);
            } catch (IllegalArgumentException e) {
                throw new TckRunFailure(e.getMessage() + "; no rule ran");
            }
            Availability availability = provider.availability();
            if (!availability.available()) {
                throw new TckRunFailure("backend '" + provider.name() + "' cannot run here: " + availability.reason()
                        + "; no rule ran");
            }
            BackendOptions options;
            try {
                options = parseOptions(optionText);
            } catch (IllegalArgumentException e) {
                throw new TckRunFailure("-D" + OPTIONS_PROPERTY + "=" + optionText + ": " + e.getMessage() + "; no rule ran");
            }
            try (IommufdBackend probe = provider.open(options)) {
                probe.providerName();
            } catch (IllegalArgumentException e) {
                throw new TckRunFailure("backend '" + provider.name() + "' rejects the options " + options.asMap() + ": "
                        + e.getMessage() + "; no rule ran");
            } catch (BackendUnavailableException e) {
                throw new TckRunFailure("backend '" + provider.name() + "' cannot run here: " + e.getMessage()
                        + "; no rule ran");
            }
            context.getStore(NAMESPACE).put(TckFixture.class, new ProvisioningFixture(provider, options));
        }

        @Override
        public void postProcessTestInstance(Object testInstance, ExtensionContext context) {
            if (testInstance instanceof ServiceLoaderBackendTck tck) {
                tck.fixture = context.getStore(NAMESPACE).get(TckFixture.class, TckFixture.class);
            }
        }

        private static String setting(ExtensionContext context, String key) {
            return context.getConfigurationParameter(key).orElse(System.getProperty(key));
        }
    }
}
