package io.github.iommufd4j.tck;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rule of the catalogue as the TCK reads it at run time: from the method name its level and id, from the
 * annotations of {@link IommufdBackendRules} its hint and the rules it rests on.
 *
 * @param method  the method name ({@code required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp})
 * @param id      the rule id ({@code K-ALLOC-6}), or {@code "-"} for a method not named after the convention
 * @param level   its level
 * @param hint    the {@link OnFailure} text, or null
 * @param restsOn the {@link RestsOn} ids (empty when none)
 */
record RuleInfo(String method, String id, TckSummary.Level level, String hint, List<String> restsOn) {
    private static final Pattern ID = Pattern.compile("([kq])([A-Z][a-z]*)(\\d*)");
    private static final Map<String, RuleInfo> CATALOGUE = catalogue();

    /**
     * Every rule of {@link IommufdBackendRules}, in the order the TCK runs them: kernel rules, then QEMU's (which
     * rest on kernel rules), each by depth, level and name.
     */
    static List<RuleInfo> all() {
        return CATALOGUE.values().stream().sorted(Comparator.comparing((RuleInfo r) -> r.id().startsWith("Q-"))
                .thenComparingInt(RuleInfo::depth).thenComparing(RuleInfo::level).thenComparing(RuleInfo::method)).toList();
    }

    /** The rule behind test method {@code method}: from the catalogue, or read from the name alone. */
    static RuleInfo of(String method) {
        RuleInfo known = CATALOGUE.get(method);
        if (known != null) {
            return known;
        }
        String[] parts = method.split("_", 3);
        TckSummary.Level level = levelOf(parts);
        return new RuleInfo(method, level == TckSummary.Level.OTHER ? "-" : idOf(parts[1]).orElse("-"), level, null, List.of());
    }

    /**
     * How many layers of rules this one rests on: 0 for a rule resting on nothing, else one more than the deepest
     * rule it rests on. Rules run in this order, so a rule's bases have finished when it runs.
     */
    int depth() {
        int d = 0;
        for (String base : restsOn) {
            for (RuleInfo r : CATALOGUE.values()) {
                if (r.id.equals(base) && !r.id.equals(id)) {
                    d = Math.max(d, r.depth() + 1);
                }
            }
        }
        return d;
    }

    /** The part of the method name after level and rule id ({@code dirtyAllocOnNonDirtyDeviceIsEopnotsupp}). */
    String check() {
        String[] parts = method.split("_", 3);
        return level == TckSummary.Level.OTHER || parts.length < 3 ? method : parts[2];
    }

    private static Map<String, RuleInfo> catalogue() {
        Map<String, RuleInfo> m = new HashMap<>();
        for (Method rule : IommufdBackendRules.class.getDeclaredMethods()) {
            String[] parts = rule.getName().split("_", 3);
            OnFailure hint = rule.getAnnotation(OnFailure.class);
            RestsOn restsOn = rule.getAnnotation(RestsOn.class);
            m.put(rule.getName(), new RuleInfo(rule.getName(), idOf(parts.length == 3 ? parts[1] : "").orElse("-"),
                    levelOf(parts), hint == null ? null : hint.value(),
                    restsOn == null ? List.of() : Arrays.asList(restsOn.value())));
        }
        return m;
    }

    private static TckSummary.Level levelOf(String[] parts) {
        if (parts.length == 3 && parts[0].equals("required")) {
            return TckSummary.Level.REQUIRED;
        }
        return parts.length == 3 && parts[0].equals("optional") ? TckSummary.Level.OPTIONAL : TckSummary.Level.OTHER;
    }

    /** {@code kAlloc6} is {@code K-ALLOC-6}, {@code qDt2} {@code Q-DT-2}, {@code kFail} {@code K-FAIL}. */
    private static Optional<String> idOf(String part) {
        Matcher m = ID.matcher(part);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(m.group(1).toUpperCase(Locale.ROOT) + "-" + m.group(2).toUpperCase(Locale.ROOT)
                + (m.group(3).isEmpty() ? "" : "-" + m.group(3)));
    }
}
