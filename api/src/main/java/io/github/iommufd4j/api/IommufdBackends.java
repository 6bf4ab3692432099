package io.github.iommufd4j.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/** Finding backend providers with {@link ServiceLoader}. */
public final class IommufdBackends {
    private IommufdBackends() {
    }

    /**
     * Every provider on the class path (the thread's context class loader, as {@link ServiceLoader} looks).
     *
     * @return the providers, sorted by name
     */
    public static List<IommufdBackendProvider> providers() {
        List<IommufdBackendProvider> list = new ArrayList<>();
        ServiceLoader.load(IommufdBackendProvider.class).forEach(list::add);
        list.sort(Comparator.comparing(IommufdBackendProvider::name));
        return List.copyOf(list);
    }

    /**
     * The provider called {@code name}.
     *
     * @param name the provider's name
     * @return the provider
     * @throws IllegalArgumentException naming the providers that exist when none has that name
     */
    public static IommufdBackendProvider provider(String name) {
        List<IommufdBackendProvider> all = providers();
        for (IommufdBackendProvider p : all) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        String known = all.stream().map(IommufdBackendProvider::name).collect(Collectors.joining(", "));
        throw new IllegalArgumentException("no backend named '" + name + "'; found: "
                + (known.isEmpty() ? "none (is a backend jar on the class path?)" : known));
    }
}
