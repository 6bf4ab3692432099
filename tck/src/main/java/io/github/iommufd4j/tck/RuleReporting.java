package io.github.iommufd4j.tck;

import io.github.iommufd4j.api.BackendCall;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.core.VfioException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestWatcher;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * How the rules of {@link IommufdBackendVerification} report: every failure becomes a {@link RuleViolation}
 * (rule id, the call that broke it, expected, actual, hint, and the earlier failed rules it follows from); at the
 * end of the class a skipped required rule fails the run ({@link TckRunFailure}) and a digest of the run, with the
 * reason of every skip, is printed (configuration parameter {@value #DIGEST_PROPERTY}{@code =false} to leave it out).
 */
final class RuleReporting implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler, TestWatcher,
        AfterAllCallback {
    /** Configuration parameter (or system property): {@code false} leaves out the digest at the end of a class. */
    static final String DIGEST_PROPERTY = "iommufd4j.tck.digest";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RuleReporting.class);

    /** What the rules of one class did so far. */
    private static final class Outcomes {
        final Set<String> failedIds = new LinkedHashSet<>();
        final List<TckSummary.RuleResult> results = new ArrayList<>();
    }

    private static Outcomes outcomes(ExtensionContext context) {
        ExtensionContext classContext = context.getTestMethod().isPresent() ? context.getParent().orElseThrow() : context;
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(Outcomes.class, k -> new Outcomes(), Outcomes.class);
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw violation(context, throwable);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw violation(context, throwable);
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw violation(context, throwable);
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        add(context, TckSummary.Result.PASSED, null);
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        add(context, TckSummary.Result.SKIPPED, cause);
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        outcomes(context).results.add(TckSummary.RuleResult.of(context.getRequiredTestMethod().getName(),
                TckSummary.Result.SKIPPED, reason.orElse("disabled")));
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        add(context, TckSummary.Result.FAILED, cause);
        outcomes(context).failedIds.add(RuleInfo.of(context.getRequiredTestMethod().getName()).id());
    }

    private static void add(ExtensionContext context, TckSummary.Result result, Throwable cause) {
        String method = context.getRequiredTestMethod().getName();
        List<String> follows = cause instanceof RuleViolation v ? v.followsFrom() : List.of();
        outcomes(context).results.add(TckSummary.RuleResult.of(method, result, cause == null ? null : describe(cause), follows));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Outcomes outcomes = outcomes(context);
        TckSummary summary = new TckSummary(context.getDisplayName(), outcomes.results);
        if (!context.getConfigurationParameter(DIGEST_PROPERTY).orElse(System.getProperty(DIGEST_PROPERTY, "true"))
                .equals("false") && !outcomes.results.isEmpty()) {
            System.out.print(summary.digest());
            System.out.flush();
        }
        List<TckSummary.RuleResult> skipped = summary.requiredSkipped();
        if (!skipped.isEmpty()) {
            throw new TckRunFailure(skipped.size() + " required " + (skipped.size() == 1 ? "rule was" : "rules were")
                    + " skipped, so this backend is not verified (a required rule must run; only optional rules may be"
                    + " skipped):\n" + skipped.stream().map(r -> "  " + r.ruleId() + " " + r.check() + ": "
                    + (r.reason() == null ? "" : r.reason().strip())).collect(Collectors.joining("\n")));
        }
    }

    static String describe(Throwable t) {
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getName() : message;
    }

    /**
     * The failure {@code t} of a rule as a {@link RuleViolation}; skips, a subclass's own tests and violations
     * already made pass through.
     */
    private static Throwable violation(ExtensionContext context, Throwable t) {
        if (t instanceof TestAbortedException || t instanceof RuleViolation || context.getTestMethod().isEmpty()) {
            return t;
        }
        Method method = context.getRequiredTestMethod();
        RuleInfo rule = RuleInfo.of(method.getName());
        if (rule.level() == TckSummary.Level.OTHER) {
            return t;
        }
        Set<String> failed = outcomes(context).failedIds;
        List<String> follows = rule.restsOn().stream().filter(id -> !id.equals(rule.id()) && failed.contains(id)).toList();
        Optional<BackendCall> last = context.getTestInstance().filter(IommufdBackendVerification.class::isInstance)
                .map(i -> ((IommufdBackendVerification) i).lastCall());
        String lastCall = last.map(c -> c + " (the last call before the check)").orElse(null);
        RuleViolation v;
        if (t instanceof Mismatch m) {
            v = new RuleViolation(rule.id(), rule.level(), m.check, m.call == null ? lastCall : m.call, m.expected,
                    m.actual, rule.hint(), follows, m.details, null);
        } else if (t instanceof IommufdException e) {
            v = new RuleViolation(rule.id(), rule.level(), "a backend call the rule needs to succeed failed",
                    last.map(BackendCall::toString).orElse(e.op() + "(" + e.arguments() + ")"), "success",
                    errnoName(e), rule.hint(), follows, List.of("backend said: " + e.getMessage()), e);
        } else if (t instanceof VfioException e) {
            Optional<BackendCall> failedCall = context.getTestInstance().filter(IommufdBackendVerification.class::isInstance)
                    .flatMap(i -> ((IommufdBackendVerification) i).lastFailedCall());
            v = new RuleViolation(rule.id(), rule.level(), "core's operation failed: " + e.qemuMessage(),
                    failedCall.map(BackendCall::toString).orElse(lastCall), "success",
                    e.errno() == null ? "failure" : e.errno().name(), rule.hint(), follows,
                    List.of("core said: " + e.getMessage()), e);
        } else if (t instanceof AssertionFailedError a && a.isExpectedDefined() && a.isActualDefined()) {
            v = new RuleViolation(rule.id(), rule.level(), firstLine(describe(a)), lastCall,
                    a.getExpected().getStringRepresentation(), a.getActual().getStringRepresentation(), rule.hint(),
                    follows, List.of(), a);
        } else {
            v = new RuleViolation(rule.id(), rule.level(), firstLine(describe(t)), lastCall, "no exception",
                    t.getClass().getName(), rule.hint(), follows, detailLines(t), t);
        }
        v.setStackTrace(ruleFrames(t, method.getName()));
        return v;
    }

    private static String errnoName(IommufdException e) {
        return e.errno() == io.github.iommufd4j.api.Errno.UNKNOWN ? "errno " + e.errnoNumber() : e.errno().name();
    }

    private static String firstLine(String s) {
        return s.strip().lines().findFirst().orElse(s);
    }

    private static List<String> detailLines(Throwable t) {
        String m = describe(t).strip();
        return m.lines().count() > 1 ? m.lines().skip(1).toList() : List.of();
    }

    /** Only the frame of the rule method: where to read the rule's code; the cause keeps the backend's frames. */
    private static StackTraceElement[] ruleFrames(Throwable t, String method) {
        return Arrays.stream(t.getStackTrace()).filter(f -> f.getMethodName().equals(method)).limit(1)
                .toArray(StackTraceElement[]::new);
    }
}
