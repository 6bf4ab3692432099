package io.github.iommufd4j.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The catalogue and the verification class agree, and every rule is named after its level and id. */
class RuleCatalogueTest {

    private static List<Method> rules() {
        return Arrays.stream(IommufdBackendRules.class.getDeclaredMethods()).toList();
    }

    @Test
    void everyRuleIsATestWhoseDisplayNameStartsWithItsIdAndLevel() throws Exception {
        assertThat(rules()).hasSize(42);
        for (Method rule : rules()) {
            Method impl = IommufdBackendVerification.class.getMethod(rule.getName());
            assertThat(impl.isAnnotationPresent(Test.class)).as("@Test on %s", rule.getName()).isTrue();
            TckSummary.RuleResult parsed = TckSummary.RuleResult.of(rule.getName(), TckSummary.Result.PASSED, null);
            assertThat(parsed.level()).as("level of %s", rule.getName()).isNotEqualTo(TckSummary.Level.OTHER);
            String level = parsed.level().name().toLowerCase(java.util.Locale.ROOT);
            assertThat(impl.getAnnotation(DisplayName.class).value()).as("display name of %s", rule.getName())
                    .startsWith(parsed.ruleId() + " (" + level + ")");
        }
    }

    @Test
    void ruleIdAndLevelAreReadFromTheMethodName() {
        TckSummary.RuleResult r = TckSummary.RuleResult.of("required_kAlloc6_dirtyAlloc", TckSummary.Result.FAILED, "x");
        assertThat(r.ruleId()).isEqualTo("K-ALLOC-6");
        assertThat(r.level()).isEqualTo(TckSummary.Level.REQUIRED);
        assertThat(r.check()).isEqualTo("dirtyAlloc");
        assertThat(TckSummary.RuleResult.of("optional_qDt2_x", TckSummary.Result.PASSED, null).ruleId()).isEqualTo("Q-DT-2");
        assertThat(TckSummary.RuleResult.of("optional_kFail_x", TckSummary.Result.PASSED, null).ruleId()).isEqualTo("K-FAIL");
        TckSummary.RuleResult other = TckSummary.RuleResult.of("myOwnTest", TckSummary.Result.SKIPPED, "why");
        assertThat(other.level()).isEqualTo(TckSummary.Level.OTHER);
        assertThat(other.ruleId()).isEqualTo("-");
    }

    @Test
    void everyRuleHasAHintAndRestsOnlyOnKnownRulesThatRunBeforeIt() {
        java.util.Set<String> ids = new java.util.HashSet<>();
        rules().forEach(m -> ids.add(RuleInfo.of(m.getName()).id()));
        List<String> order = RuleInfo.all().stream().map(RuleInfo::method).toList();
        for (Method rule : rules()) {
            OnFailure hint = rule.getAnnotation(OnFailure.class);
            assertThat(hint).as("@OnFailure on %s", rule.getName()).isNotNull();
            assertThat(hint.value()).as("hint of %s", rule.getName()).isNotBlank();
            RestsOn restsOn = rule.getAnnotation(RestsOn.class);
            if (restsOn == null) {
                continue;
            }
            for (String base : restsOn.value()) {
                assertThat(ids).as("rule %s rests on", rule.getName()).contains(base);
                int self = order.indexOf(rule.getName());
                assertThat(rules()).filteredOn(m -> RuleInfo.of(m.getName()).id().equals(base))
                        .as("rules with id %s, which %s rests on, run before it", base, rule.getName())
                        .allSatisfy(m -> assertThat(order.indexOf(m.getName())).isLessThan(self));
            }
        }
    }

    @Test
    void kernelRulesRunBeforeQemuRules() {
        List<String> ids = RuleInfo.all().stream().map(RuleInfo::id).toList();
        assertThat(ids).hasSize(42);
        int firstQ = (int) ids.stream().takeWhile(id -> id.startsWith("K-")).count();
        assertThat(firstQ).as("kernel rules").isEqualTo(30);
        assertThat(ids.subList(0, firstQ)).allMatch(id -> id.startsWith("K-"));
        assertThat(ids.subList(firstQ, ids.size())).allMatch(id -> id.startsWith("Q-"));
    }

    @Test
    void tableListsRuleLevelResultAndFirstLineOfTheReason_andDetailsCarryEveryLineUncut() {
        String longReason = "K-DES-1 (required) failed: " + "x".repeat(150) + "\n  call:     DESTROY(id 0) = EINVAL"
                + "\n  expected: ENOENT\n  actual:   EINVAL";
        TckSummary s = new TckSummary("demo", List.of(
                TckSummary.RuleResult.of("optional_qAtt9_mdev", TckSummary.Result.SKIPPED, "no mdev here\nsecond line"),
                TckSummary.RuleResult.of("required_kDes1_enoent", TckSummary.Result.FAILED, longReason),
                TckSummary.RuleResult.of("required_qAtt2_x", TckSummary.Result.FAILED, "Q-ATT-2 (required) follows from"
                        + " K-DES-1, which failed: calls", List.of("K-DES-1"))));
        String[] lines = s.table().split("\\R");
        assertThat(lines).hasSize(4);
        assertThat(lines[0]).matches("RULE\\s+LEVEL\\s+RESULT\\s+CHECK\\s+REASON");
        assertThat(lines[1]).matches("K-DES-1\\s+required\\s+FAILED\\s+enoent\\s+K-DES-1 \\(required\\) failed: x+\\.\\.\\.");
        assertThat(lines[2]).matches("Q-ATT-2\\s+required\\s+FAILED\\s+x\\s+follows from K-DES-1, which failed");
        assertThat(lines[3]).matches("Q-ATT-9\\s+optional\\s+SKIPPED\\s+mdev\\s+no mdev here");
        String nl = System.lineSeparator();
        assertThat(s.details()).contains("FAILED required_kDes1_enoent" + nl + "  K-DES-1 (required) failed: " + "x".repeat(150)
                        + nl + "    call:     DESTROY(id 0) = EINVAL" + nl + "    expected: ENOENT" + nl + "    actual:   EINVAL")
                .contains("SKIPPED Q-ATT-9 (optional) optional_qAtt9_mdev" + nl + "  no mdev here" + nl + "  second line");
        assertThat(s.headline()).isEqualTo("demo: 2 required (0 passed, 2 failed, 0 skipped), 1 optional (0 passed, 0 failed, 1 skipped)");
        assertThat(s.passed()).isFalse();
        assertThat(s.verdict()).isEqualTo("FAILED: 2 rules failed (1 following from others; fix K-DES-1 first)");
        assertThat(s.markdown()).contains("| Q-ATT-9 | optional | SKIPPED | `optional_qAtt9_mdev` | no mdev here |")
                .contains("### K-DES-1 `required_kDes1_enoent`\n\n```\n" + longReason + "\n```")
                .contains("- Q-ATT-9 (optional) `optional_qAtt9_mdev`: no mdev here<br>second line");
    }

    @Test
    void aSkippedRequiredRuleOrAnEmptyRunIsNeverAPass() {
        TckSummary skipped = new TckSummary("demo", List.of(
                TckSummary.RuleResult.of("required_kDes1_enoent", TckSummary.Result.SKIPPED, "no device")));
        assertThat(skipped.passed()).isFalse();
        assertThat(skipped.verdict()).isEqualTo("FAILED: 1 required rule skipped");
        TckSummary optionalOnly = new TckSummary("demo", List.of(
                TckSummary.RuleResult.of("required_kDes1_enoent", TckSummary.Result.PASSED, null),
                TckSummary.RuleResult.of("optional_qAtt9_mdev", TckSummary.Result.SKIPPED, "no mdev")));
        assertThat(optionalOnly.passed()).isTrue();
        assertThat(new TckSummary("demo", List.of()).passed()).as("no rule ran").isFalse();
    }
}
