package io.github.iommufd4j.tck;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The outcome of one TCK run: one {@link RuleResult} per rule, required rules first.
 *
 * @param backend what was verified (a backend name, or a verification class)
 * @param results one row per rule
 */
public record TckSummary(String backend, List<RuleResult> results) {

    /** A rule's level, from the prefix of its method name. */
    public enum Level {
        /** {@code required_...}: a backend must honour it. */
        REQUIRED,
        /** {@code optional_...}: needs an ability a backend may lack. */
        OPTIONAL,
        /** A test not named after the TCK's convention (added by a subclass). */
        OTHER
    }

    /** What happened to a rule. */
    public enum Result { PASSED, FAILED, SKIPPED }

    /**
     * One rule's result.
     *
     * @param method the test method ({@code required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp})
     * @param ruleId the rule id read from the method name ({@code K-ALLOC-6}), or {@code "-"}
     * @param level  its level
     * @param result passed, failed or skipped
     * @param reason why it failed or was skipped (the assertion or abort message), null when passed
     */
    public record RuleResult(String method, String ruleId, Level level, Result result, String reason) {
        private static final Pattern ID = Pattern.compile("([kq])([A-Z][a-z]*)(\\d*)");

        public RuleResult {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(ruleId, "ruleId");
            Objects.requireNonNull(level, "level");
            Objects.requireNonNull(result, "result");
        }

        /**
         * The result of test method {@code method}: level and rule id are read from its name
         * ({@code required_kAlloc6_x} is REQUIRED, {@code K-ALLOC-6}).
         */
        public static RuleResult of(String method, Result result, String reason) {
            String[] parts = method.split("_", 3);
            Level level = parts.length == 3 && parts[0].equals("required") ? Level.REQUIRED
                    : parts.length == 3 && parts[0].equals("optional") ? Level.OPTIONAL : Level.OTHER;
            String id = "-";
            if (level != Level.OTHER) {
                Matcher m = ID.matcher(parts[1]);
                if (m.matches()) {
                    id = m.group(1).toUpperCase(Locale.ROOT) + "-" + m.group(2).toUpperCase(Locale.ROOT)
                            + (m.group(3).isEmpty() ? "" : "-" + m.group(3));
                }
            }
            return new RuleResult(method, id, level, result, reason);
        }

        /** The part of the method name after level and rule id ({@code dirtyAllocOnNonDirtyDeviceIsEopnotsupp}). */
        public String check() {
            String[] parts = method.split("_", 3);
            return level == Level.OTHER || parts.length < 3 ? method : parts[2];
        }
    }

    public TckSummary {
        Objects.requireNonNull(backend, "backend");
        List<RuleResult> sorted = new ArrayList<>(results);
        sorted.sort(Comparator.comparing(RuleResult::level).thenComparing(RuleResult::method));
        results = List.copyOf(sorted);
    }

    /** The result of {@code method}, if it ran. */
    public Optional<RuleResult> result(String method) {
        return results.stream().filter(r -> r.method().equals(method)).findFirst();
    }

    /** How many rules had {@code result}. */
    public long count(Result result) {
        return results.stream().filter(r -> r.result() == result).count();
    }

    /** How many rules of {@code level} had {@code result}. */
    public long count(Level level, Result result) {
        return results.stream().filter(r -> r.level() == level && r.result() == result).count();
    }

    /** Whether nothing failed (skipped rules do not count against a backend). */
    public boolean passed() {
        return count(Result.FAILED) == 0;
    }

    /** One line: {@code mock: 35 required (35 passed, 0 failed, 0 skipped), 7 optional (...)}. */
    public String headline() {
        return backend + ": " + levelLine(Level.REQUIRED) + ", " + levelLine(Level.OPTIONAL)
                + (results.stream().anyMatch(r -> r.level() == Level.OTHER) ? ", " + levelLine(Level.OTHER) : "");
    }

    private String levelLine(Level level) {
        long total = results.stream().filter(r -> r.level() == level).count();
        return total + " " + level.name().toLowerCase(Locale.ROOT) + " (" + count(level, Result.PASSED) + " passed, "
                + count(level, Result.FAILED) + " failed, " + count(level, Result.SKIPPED) + " skipped)";
    }

    /** A plain-text table: rule, level, result, check, reason (first line, at most 120 characters). */
    public String table() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"RULE", "LEVEL", "RESULT", "CHECK", "REASON"});
        for (RuleResult r : results) {
            rows.add(new String[] {r.ruleId(), r.level().name().toLowerCase(Locale.ROOT), r.result().name(), r.check(),
                    shortReason(r.reason(), 120)});
        }
        int[] width = new int[5];
        for (String[] row : rows) {
            for (int i = 0; i < 5; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            for (int i = 0; i < 5; i++) {
                sb.append(i == 4 ? row[i] : String.format("%-" + width[i] + "s  ", row[i]));
            }
            sb.append(System.lineSeparator());
        }
        return sb.toString().replaceAll("[ ]+(\\R)", "$1");
    }

    /** A Markdown report: the headline, then a table of every rule with its full reason. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# iommufd4j TCK report: ").append(backend).append("\n\n");
        sb.append(headline()).append("\n\n");
        sb.append("| rule | level | result | check | reason |\n|---|---|---|---|---|\n");
        for (RuleResult r : results) {
            sb.append("| ").append(r.ruleId()).append(" | ").append(r.level().name().toLowerCase(Locale.ROOT)).append(" | ")
                    .append(r.result() == Result.FAILED ? "**FAILED**" : r.result().name()).append(" | `")
                    .append(r.method()).append("` | ").append(markdownCell(r.reason())).append(" |\n");
        }
        return sb.toString();
    }

    private static String shortReason(String reason, int max) {
        if (reason == null) {
            return "";
        }
        String line = reason.strip().lines().findFirst().orElse("");
        return line.length() <= max ? line : line.substring(0, max - 3) + "...";
    }

    private static String markdownCell(String reason) {
        if (reason == null) {
            return "";
        }
        return reason.strip().replace("|", "\\|").replaceAll("\\R+", "<br>");
    }
}
