package io.github.iommufd4j.tck;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The outcome of one TCK run: one {@link RuleResult} per rule, required rules first, and the failures of the run
 * as a whole ({@link #problems()}). A run passes when no rule failed, no required rule was skipped and the run
 * itself did not fail.
 *
 * @param backend  what was verified (a backend name, or a verification class)
 * @param results  one row per rule
 * @param problems failures of the run as a whole, each a message ({@link TckRunFailure}: no backend, several
 *                 backends and no choice, a skipped required rule)
 */
public record TckSummary(String backend, List<RuleResult> results, List<String> problems) {

    /** A rule's level, from the prefix of its method name. */
    public enum Level {
        /** {@code required_...}: a backend must honour it; a run that skips it fails. */
        REQUIRED,
        /** {@code optional_...}: needs an ability a backend may lack; skipped with the reason when it is missing. */
        OPTIONAL,
        /** A test not named after the TCK's convention (added by a subclass). */
        OTHER
    }

    /** What happened to a rule. */
    public enum Result {
        /** The rule ran and held. */
        PASSED,
        /** The rule ran and was broken. */
        FAILED,
        /** The rule could not run here (the reason says what was missing). */
        SKIPPED
    }

    /**
     * One rule's result.
     *
     * @param method      the test method ({@code required_kAlloc6_dirtyAllocOnNonDirtyDeviceIsEopnotsupp})
     * @param ruleId      the rule id read from the method name ({@code K-ALLOC-6}), or {@code "-"}
     * @param level       its level
     * @param result      passed, failed or skipped
     * @param reason      why it failed (the whole {@link RuleViolation} message: rule, call, expected, actual, hint)
     *                    or was skipped; null when passed
     * @param followsFrom for a failure, the earlier failed rules it follows from ({@link RuleViolation#followsFrom()})
     */
    public record RuleResult(String method, String ruleId, Level level, Result result, String reason,
                             List<String> followsFrom) {

        /**
         * A result; a null {@code followsFrom} is empty.
         *
         * @param method      the test method
         * @param ruleId      the rule id, or {@code "-"}
         * @param level       its level
         * @param result      passed, failed or skipped
         * @param reason      why it failed or was skipped, null when passed
         * @param followsFrom the earlier failed rules a failure follows from
         * @throws NullPointerException when method, rule id, level or result is null
         */
        public RuleResult {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(ruleId, "ruleId");
            Objects.requireNonNull(level, "level");
            Objects.requireNonNull(result, "result");
            followsFrom = followsFrom == null ? List.of() : List.copyOf(followsFrom);
        }

        /**
         * The result of a test method: level and rule id are read from its name ({@code required_kAlloc6_x} is
         * REQUIRED, {@code K-ALLOC-6}).
         *
         * @param method the test method's name
         * @param result what happened
         * @param reason why it failed or was skipped, or null
         * @return the result
         */
        public static RuleResult of(String method, Result result, String reason) {
            return of(method, result, reason, List.of());
        }

        /**
         * {@link #of(String, Result, String)} for a failure that follows from earlier failed rules.
         *
         * @param method      the test method's name
         * @param result      what happened
         * @param reason      why it failed or was skipped, or null
         * @param followsFrom the ids of the earlier failed rules it follows from
         * @return the result
         */
        public static RuleResult of(String method, Result result, String reason, List<String> followsFrom) {
            RuleInfo rule = RuleInfo.of(method);
            return new RuleResult(method, rule.id(), rule.level(), result, reason, followsFrom);
        }

        /**
         * What the rule checks, from its name.
         *
         * @return the part of the method name after level and rule id ({@code dirtyAllocOnNonDirtyDeviceIsEopnotsupp})
         */
        public String check() {
            return RuleInfo.of(method).check();
        }

        /**
         * Where to look when the rule fails.
         *
         * @return the rule's {@link OnFailure} hint, if it is a rule of the catalogue
         */
        public Optional<String> hint() {
            return Optional.ofNullable(RuleInfo.of(method).hint());
        }
    }

    /**
     * A summary; the results are sorted by level, rule id and method.
     *
     * @param backend  what was verified
     * @param results  one row per rule
     * @param problems failures of the run as a whole
     * @throws NullPointerException when backend, results or problems is null
     */
    public TckSummary {
        Objects.requireNonNull(backend, "backend");
        List<RuleResult> sorted = new ArrayList<>(results);
        sorted.sort(Comparator.comparing(RuleResult::level).thenComparing(RuleResult::ruleId)
                .thenComparing(RuleResult::method));
        results = List.copyOf(sorted);
        problems = List.copyOf(problems);
    }

    /**
     * A summary of rule results with no failure of the run as a whole.
     *
     * @param backend what was verified
     * @param results one row per rule
     */
    public TckSummary(String backend, List<RuleResult> results) {
        this(backend, results, List.of());
    }

    /**
     * The result of one rule.
     *
     * @param method the rule's method name
     * @return its result, if it ran
     */
    public Optional<RuleResult> result(String method) {
        return results.stream().filter(r -> r.method().equals(method)).findFirst();
    }

    /**
     * How many rules had a result.
     *
     * @param result the result
     * @return the number of rules
     */
    public long count(Result result) {
        return results.stream().filter(r -> r.result() == result).count();
    }

    /**
     * How many rules of a level had a result.
     *
     * @param level  the level
     * @param result the result
     * @return the number of rules
     */
    public long count(Level level, Result result) {
        return results.stream().filter(r -> r.level() == level && r.result() == result).count();
    }

    /**
     * The required rules that were skipped: each makes the run fail.
     *
     * @return their results, with the reasons
     */
    public List<RuleResult> requiredSkipped() {
        return results.stream().filter(r -> r.level() == Level.REQUIRED && r.result() == Result.SKIPPED).toList();
    }

    /**
     * Whether the backend passed: no rule failed, no required rule was skipped, and the run itself did not fail.
     * Skipped optional rules do not count.
     *
     * @return whether the backend passed
     */
    public boolean passed() {
        return count(Result.FAILED) == 0 && requiredSkipped().isEmpty() && problems.isEmpty() && !results.isEmpty();
    }

    /**
     * The failed rules that no other failure explains, by rule id: where to start fixing. A failure that follows
     * from an earlier failed rule is not listed.
     *
     * @return rule ids, in the order of the results
     */
    public Set<String> firstCauses() {
        Set<String> ids = new LinkedHashSet<>();
        results.stream().filter(r -> r.result() == Result.FAILED && r.followsFrom().isEmpty()).forEach(r -> ids.add(r.ruleId()));
        return ids;
    }

    /**
     * The counts in one line.
     *
     * @return {@code mock: 35 required (35 passed, 0 failed, 0 skipped), 7 optional (...)}
     */
    public String headline() {
        return backend + ": " + levelLine(Level.REQUIRED) + ", " + levelLine(Level.OPTIONAL)
                + (results.stream().anyMatch(r -> r.level() == Level.OTHER) ? ", " + levelLine(Level.OTHER) : "");
    }

    /**
     * The verdict in one line.
     *
     * @return {@code PASSED: ...}, or {@code FAILED: } and what made the run fail
     */
    public String verdict() {
        if (passed()) {
            return "PASSED: no rule failed, every required rule ran";
        }
        List<String> why = new ArrayList<>();
        if (!problems.isEmpty()) {
            why.add("the run failed");
        }
        if (results.isEmpty() && problems.isEmpty()) {
            why.add("no rule ran");
        }
        long failed = count(Result.FAILED);
        if (failed > 0) {
            long consequences = results.stream().filter(r -> r.result() == Result.FAILED && !r.followsFrom().isEmpty()).count();
            why.add(failed + (failed == 1 ? " rule" : " rules") + " failed"
                    + (consequences == 0 ? "" : " (" + consequences + " following from others; fix "
                    + String.join(", ", firstCauses()) + " first)"));
        }
        int skipped = requiredSkipped().size();
        if (skipped > 0) {
            why.add(skipped + " required " + (skipped == 1 ? "rule" : "rules") + " skipped");
        }
        return "FAILED: " + String.join(", ", why);
    }

    private String levelLine(Level level) {
        long total = results.stream().filter(r -> r.level() == level).count();
        return total + " " + level.name().toLowerCase(Locale.ROOT) + " (" + count(level, Result.PASSED) + " passed, "
                + count(level, Result.FAILED) + " failed, " + count(level, Result.SKIPPED) + " skipped)";
    }

    /**
     * A plain-text table: rule, level, result, check, and the first line of the reason (at most 100 characters; a
     * failure that follows from others says so). The whole reasons are in {@link #details()}.
     *
     * @return the table, one line per rule under a header line
     */
    public String table() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"RULE", "LEVEL", "RESULT", "CHECK", "REASON"});
        for (RuleResult r : results) {
            rows.add(new String[] {r.ruleId(), r.level().name().toLowerCase(Locale.ROOT), r.result().name(), r.check(),
                    shortReason(r)});
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

    /**
     * Everything the table leaves out, nothing cut: the failures of the run, every failed rule's whole message
     * (rule, call, expected, actual, hint, what it follows from) and every skipped rule with its reason.
     * Empty when every rule passed.
     *
     * @return the text, the lines of each entry indented under its title
     */
    public String details() {
        StringBuilder sb = new StringBuilder();
        String nl = System.lineSeparator();
        for (String p : problems) {
            sb.append("RUN FAILED: ").append(p.strip().replace("\n", nl + "  ")).append(nl).append(nl);
        }
        for (RuleResult r : results) {
            if (r.result() == Result.FAILED) {
                sb.append("FAILED ").append(r.method()).append(nl).append(indent(r.reason())).append(nl).append(nl);
            }
        }
        for (RuleResult r : results) {
            if (r.result() == Result.SKIPPED) {
                sb.append("SKIPPED ").append(r.ruleId()).append(" (").append(r.level().name().toLowerCase(Locale.ROOT))
                        .append(") ").append(r.method())
                        .append(r.level() == Level.REQUIRED ? " - a required rule must run: this fails the run" : "")
                        .append(nl).append(indent(r.reason())).append(nl);
            }
        }
        return sb.toString();
    }

    /**
     * A Markdown report: headline and verdict, the table, then every failure and skip in full.
     *
     * @return the report
     */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# iommufd4j TCK report: ").append(backend).append("\n\n");
        sb.append(headline()).append("\n\n**").append(verdict()).append("**\n\n");
        for (String p : problems) {
            sb.append("Run failed:\n\n```\n").append(p.strip()).append("\n```\n\n");
        }
        sb.append("| rule | level | result | check | reason |\n|---|---|---|---|---|\n");
        for (RuleResult r : results) {
            sb.append("| ").append(r.ruleId()).append(" | ").append(r.level().name().toLowerCase(Locale.ROOT)).append(" | ")
                    .append(r.result() == Result.FAILED ? "**FAILED**" : r.result().name()).append(" | `")
                    .append(r.method()).append("` | ").append(markdownCell(shortReason(r))).append(" |\n");
        }
        List<RuleResult> failed = results.stream().filter(r -> r.result() == Result.FAILED).toList();
        if (!failed.isEmpty()) {
            sb.append("\n## Failures\n");
            for (RuleResult r : failed) {
                sb.append("\n### ").append(r.ruleId()).append(" `").append(r.method()).append("`\n\n```\n")
                        .append(r.reason() == null ? "" : r.reason().strip()).append("\n```\n");
            }
        }
        List<RuleResult> skipped = results.stream().filter(r -> r.result() == Result.SKIPPED).toList();
        if (!skipped.isEmpty()) {
            sb.append("\n## Skipped\n\n");
            for (RuleResult r : skipped) {
                sb.append("- ").append(r.ruleId()).append(" (").append(r.level().name().toLowerCase(Locale.ROOT))
                        .append(r.level() == Level.REQUIRED ? ", fails the run" : "").append(") `").append(r.method())
                        .append("`: ").append(markdownCell(r.reason())).append("\n");
            }
        }
        return sb.toString();
    }

    /** Failures grouped by the first cause they follow from, for the digest. */
    private Map<String, List<RuleResult>> consequencesByCause() {
        Map<String, List<RuleResult>> m = new LinkedHashMap<>();
        for (RuleResult r : results) {
            if (r.result() == Result.FAILED) {
                for (String cause : r.followsFrom()) {
                    m.computeIfAbsent(cause, k -> new ArrayList<>()).add(r);
                }
            }
        }
        return m;
    }

    /**
     * A few lines for the end of a Surefire run, where each failure's whole message is already printed: headline,
     * verdict, which failures follow from which, and every skipped rule with its reason.
     *
     * @return the lines
     */
    public String digest() {
        String nl = System.lineSeparator();
        StringBuilder sb = new StringBuilder("iommufd4j TCK ").append(headline()).append(nl).append(verdict()).append(nl);
        consequencesByCause().forEach((cause, rs) -> sb.append("  ").append(rs.size()).append(rs.size() == 1 ? " failure follows" : " failures follow")
                .append(" from ").append(cause).append(": ")
                .append(String.join(", ", rs.stream().map(r -> r.ruleId() + " " + r.check()).toList())).append(nl));
        for (RuleResult r : results) {
            if (r.result() == Result.SKIPPED) {
                sb.append("  skipped ").append(r.ruleId()).append(" (").append(r.level().name().toLowerCase(Locale.ROOT))
                        .append(") ").append(r.check()).append(": ").append(oneLine(r.reason())).append(nl);
            }
        }
        return sb.toString();
    }

    private static String shortReason(RuleResult r) {
        if (r.reason() == null) {
            return "";
        }
        String line = r.result() == Result.FAILED && !r.followsFrom().isEmpty()
                ? "follows from " + String.join(" and ", r.followsFrom()) + ", which failed"
                : r.reason().strip().lines().findFirst().orElse("");
        int max = 100;
        return line.length() <= max ? line : line.substring(0, max - 3) + "...";
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static String indent(String text) {
        if (text == null) {
            return "";
        }
        return "  " + text.strip().replaceAll("\\R", System.lineSeparator() + "  ");
    }

    private static String markdownCell(String reason) {
        if (reason == null) {
            return "";
        }
        return reason.strip().replace("|", "\\|").replaceAll("\\R+", "<br>");
    }
}
