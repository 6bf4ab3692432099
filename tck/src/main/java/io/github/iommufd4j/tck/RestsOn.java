package io.github.iommufd4j.tck;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The rules whose behaviour a rule of {@link IommufdBackendRules} builds on ({@code K-ATT-2} under
 * {@code Q-ATT-2}). They run first; when one of them failed, a failure of this rule is reported as following
 * from it ({@code "Q-ATT-2 (required) follows from K-ATT-2, which failed: ..."}), so the cause is fixed first.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface RestsOn {
    /**
     * The rules built on.
     *
     * @return rule ids ({@code "K-ATT-2"})
     */
    String[] value();
}
