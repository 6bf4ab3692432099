package io.github.iommufd4j.tck;

import java.util.List;

/**
 * What a check of {@link IommufdBackendVerification} found, before the rule's id, hint and the rules it follows
 * from are added ({@link RuleReporting} turns it into a {@link RuleViolation}).
 */
final class Mismatch extends AssertionError {
    private static final long serialVersionUID = 1L;

    final String check;
    final String call;
    final String expected;
    final String actual;
    final List<String> details;

    Mismatch(String check, String call, String expected, String actual, List<String> details) {
        super(check + ": expected " + expected + " but was " + actual);
        this.check = check;
        this.call = call;
        this.expected = expected;
        this.actual = actual;
        this.details = List.copyOf(details);
    }
}
