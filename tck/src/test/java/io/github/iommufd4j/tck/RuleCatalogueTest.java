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
    void tableListsRuleLevelResultAndFirstLineOfTheReason() {
        TckSummary s = new TckSummary("demo", List.of(
                TckSummary.RuleResult.of("optional_qAtt9_mdev", TckSummary.Result.SKIPPED, "no mdev here\nsecond line"),
                TckSummary.RuleResult.of("required_kDes1_enoent", TckSummary.Result.FAILED, "expected ENOENT")));
        String[] lines = s.table().split("\\R");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).matches("RULE\\s+LEVEL\\s+RESULT\\s+CHECK\\s+REASON");
        assertThat(lines[1]).matches("K-DES-1\\s+required\\s+FAILED\\s+enoent\\s+expected ENOENT");
        assertThat(lines[2]).matches("Q-ATT-9\\s+optional\\s+SKIPPED\\s+mdev\\s+no mdev here");
        assertThat(s.headline()).isEqualTo("demo: 1 required (0 passed, 1 failed, 0 skipped), 1 optional (0 passed, 0 failed, 1 skipped)");
        assertThat(s.passed()).isFalse();
        assertThat(s.markdown()).contains("| Q-ATT-9 | optional | SKIPPED | `optional_qAtt9_mdev` | no mdev here<br>second line |");
    }
}
