package io.github.iommufd4j.tck;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What to look at when a rule of {@link IommufdBackendRules} fails. The hint travels with every failure of the
 * rule: in the exception message Surefire prints, in the JUnit XML and in the Markdown report.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface OnFailure {
    /**
     * Where the bug usually is.
     *
     * @return the hint ({@code "the errno (EINVAL is the usual slip)"})
     */
    String value();
}
