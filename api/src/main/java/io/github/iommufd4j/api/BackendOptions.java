package io.github.iommufd4j.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * String options for {@link IommufdBackendProvider#open}, as given on a command line
 * ({@code --backend-option key=value}) or in a test. Each backend documents the keys it reads and
 * rejects keys it does not know.
 */
public final class BackendOptions {
    private static final BackendOptions EMPTY = new BackendOptions(Map.of());
    private final Map<String, String> values;

    private BackendOptions(Map<String, String> values) {
        this.values = values;
    }

    /**
     * No options.
     *
     * @return the empty options
     */
    public static BackendOptions empty() {
        return EMPTY;
    }

    /**
     * These options (copied, in order).
     *
     * @param values keys and values, none null
     * @return the options
     */
    public static BackendOptions of(Map<String, String> values) {
        Map<String, String> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "key"), Objects.requireNonNull(v, "value of " + k)));
        return new BackendOptions(Collections.unmodifiableMap(copy));
    }

    /**
     * Parses {@code key=value} strings.
     *
     * @param pairs the strings; a value may contain {@code =}
     * @return the options
     * @throws IllegalArgumentException for a string without a key before {@code =}
     */
    public static BackendOptions parse(Iterable<String> pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("backend option '" + p + "' is not of the form key=value");
            }
            m.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return of(m);
    }

    /**
     * One option.
     *
     * @param key          the key
     * @param defaultValue what to return when the key is absent
     * @return the value of {@code key}, or {@code defaultValue}
     */
    public String get(String key, String defaultValue) {
        return values.getOrDefault(key, defaultValue);
    }

    /**
     * All options.
     *
     * @return keys and values in order, unmodifiable
     */
    public Map<String, String> asMap() {
        return values;
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
