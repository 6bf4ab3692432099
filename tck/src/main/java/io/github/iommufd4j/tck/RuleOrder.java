package io.github.iommufd4j.tck;

import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.MethodOrdererContext;

/**
 * Runs the rules in catalogue order: a rule after every rule it {@link RestsOn rests on} (kernel rules before
 * QEMU's), so a failure can say which earlier failure it follows from. Tests a subclass adds run last, by name.
 */
final class RuleOrder implements MethodOrderer {
    private static final List<String> ORDER = RuleInfo.all().stream().map(RuleInfo::method).toList();

    @Override
    public void orderMethods(MethodOrdererContext context) {
        context.getMethodDescriptors().sort(Comparator
                .comparingInt((org.junit.jupiter.api.MethodDescriptor d) -> rank(d.getMethod().getName()))
                .thenComparing(d -> d.getMethod().getName()));
    }

    private static int rank(String method) {
        int i = ORDER.indexOf(method);
        return i < 0 ? ORDER.size() : i;
    }
}
