package io.github.iommufd4j.tck;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.opentest4j.AssertionFailedError;

/**
 * A rule of the TCK failed: which rule, the backend call that broke it (operation, arguments, result), what was
 * expected and what came instead, the rule's {@link OnFailure hint}, and the earlier failed rules this failure
 * {@link RestsOn follows from}. Every failure of a rule reaches the console, the JUnit XML and the Markdown
 * report as one of these; {@link #getMessage()} carries all of it, nothing cut:
 *
 * <pre>
 * K-ATT-2 (required) failed: ATTACH of device b (no dirty tracking) to DIRTY_TRACKING HWPT 4
 *   call:     ATTACH(devId 2, ptId 4) = EBUSY
 *   expected: EINVAL
 *   actual:   EBUSY (backend said: ATTACH(dev 2, pt 4) failed: EBUSY)
 *   hint:     the compatibility check of ATTACH: ...
 * </pre>
 *
 * <p>IOVAs are hexadecimal; dirty pages are listed by IOVA, not by bit index.
 */
public final class RuleViolation extends AssertionFailedError {
    private static final long serialVersionUID = 1L;

    /** @serial the rule id */
    private final String ruleId;
    /** @serial the rule's level */
    private final TckSummary.Level level;
    /** @serial what was checked */
    private final String check;
    /** @serial the call that broke the rule, or null */
    private final String call;
    /** @serial what was expected */
    private final String expectedText;
    /** @serial what came instead */
    private final String actualText;
    /** @serial the rule's hint, or null */
    private final String hint;
    /** @serial the failed rules this one follows from */
    private final List<String> followsFrom;
    /** @serial further lines */
    private final List<String> details;

    RuleViolation(String ruleId, TckSummary.Level level, String check, String call, String expected, String actual,
                  String hint, List<String> followsFrom, List<String> details, Throwable cause) {
        super(format(ruleId, level, withoutId(ruleId, check), call, expected, actual, hint, followsFrom, details), expected,
                actual, cause);
        this.ruleId = Objects.requireNonNull(ruleId, "ruleId");
        this.level = Objects.requireNonNull(level, "level");
        this.check = withoutId(ruleId, Objects.requireNonNull(check, "check"));
        this.call = call;
        this.expectedText = expected;
        this.actualText = actual;
        this.hint = hint;
        this.followsFrom = List.copyOf(followsFrom);
        this.details = List.copyOf(details);
    }

    /** {@code "K-ATT-2: ATTACH of ..."} is {@code "ATTACH of ..."} under K-ATT-2: the id is said once. */
    private static String withoutId(String ruleId, String check) {
        return check.startsWith(ruleId + ": ") ? check.substring(ruleId.length() + 2) : check;
    }

    private static String format(String ruleId, TckSummary.Level level, String check, String call, String expected,
                                 String actual, String hint, List<String> followsFrom, List<String> details) {
        StringBuilder sb = new StringBuilder();
        sb.append(ruleId).append(" (").append(level.name().toLowerCase(Locale.ROOT)).append(")");
        if (followsFrom.isEmpty()) {
            sb.append(" failed: ");
        } else {
            sb.append(" follows from ").append(String.join(" and ", followsFrom)).append(", which failed: ");
        }
        sb.append(check);
        line(sb, "call", call);
        line(sb, "expected", expected);
        line(sb, "actual", actual);
        line(sb, "hint", hint);
        for (String d : details) {
            sb.append("\n  ").append(d);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String key, String value) {
        if (value != null) {
            sb.append("\n  ").append(String.format("%-9s %s", key + ":", value.replace("\n", "\n            ")));
        }
    }

    /**
     * The rule ({@code K-ATT-2}).
     *
     * @return the rule ({@code K-ATT-2})
     */
    public String ruleId() {
        return ruleId;
    }

    /**
     * Its level.
     *
     * @return its level
     */
    public TckSummary.Level level() {
        return level;
    }

    /**
     * What the rule checked when it failed ({@code "ATTACH of device b (no dirty tracking) to ..."}).
     *
     * @return what the rule checked when it failed
     */
    public String check() {
        return check;
    }

    /**
     * The backend call that broke the rule, as recorded ({@code "ATTACH(devId 2, ptId 4) = EBUSY"}), or null.
     *
     * @return the backend call that broke the rule, as recorded, or null
     */
    public String call() {
        return call;
    }

    /**
     * What the rule expected, as text.
     *
     * @return what the rule expected, as text
     */
    public String expectedText() {
        return expectedText;
    }

    /**
     * What came instead, as text.
     *
     * @return what came instead, as text
     */
    public String actualText() {
        return actualText;
    }

    /**
     * The rule's {@link OnFailure} hint, or null.
     *
     * @return the rule's {@link OnFailure} hint, or null
     */
    public String hint() {
        return hint;
    }

    /**
     * The rules this rule {@link RestsOn rests on} that failed earlier in the run (empty when none did).
     *
     * @return the rules this rule rests on that failed earlier in the run (empty when none did)
     */
    public List<String> followsFrom() {
        return followsFrom;
    }

    /**
     * Further lines: the whole call sequences compared, the backend's own message.
     *
     * @return further lines: the whole call sequences compared, the backend's own message
     */
    public List<String> details() {
        return details;
    }
}
