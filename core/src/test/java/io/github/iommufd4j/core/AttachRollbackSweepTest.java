package io.github.iommufd4j.core;

import io.github.iommufd4j.api.BackendCall;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Q-ATT-10: a failure injected at each backend call of an attach leaves no backend object that core does not
 * know about, and core knows no object the backend has not.
 */
class AttachRollbackSweepTest {

    enum Setup {
        /** The first device: a new container (IOAS_ALLOC, HWPT_ALLOC, ATTACH, IOAS_MAP). */
        FIRST_DEVICE(h -> { }),
        /** A plain device next to a dirty one: EINVAL on the dirty HWPT, then its own HWPT. */
        HETEROGENEOUS(h -> h.attach("a")),
        /** A dirty device onto an existing HWPT (reuse). */
        REUSE(h -> h.attach("c"));

        final Consumer<TestHost> before;

        Setup(Consumer<TestHost> before) {
            this.before = before;
        }
    }

    private static TestHost host(Setup setup) {
        TestHost h = new TestHost().withMemory().device("a", TestHost.DIRTY).device("b", TestHost.PLAIN)
                .device("c", TestHost.PLAIN);
        setup.before.accept(h);
        h.calls();
        return h;
    }

    @ParameterizedTest
    @EnumSource(Setup.class)
    void qAtt10_failureAtEveryCallOfAnAttachLeavesNoUnknownObject(Setup setup) {
        String device = setup == Setup.FIRST_DEVICE ? "a" : "b";
        TestHost clean = host(setup);
        clean.attach(device);
        List<BackendCall> calls = clean.fullCalls();
        assertThat(calls).isNotEmpty();
        List<String> outcomes = new ArrayList<>();
        for (int k = 0; k < calls.size(); k++) {
            BackendOp op = calls.get(k).op();
            int nth = 0;
            for (int j = 0; j <= k; j++) {
                if (calls.get(j).op() == op) {
                    nth++;
                }
            }
            TestHost h = host(setup);
            h.mock.failNth(op, nth, Errno.ENOMEM);
            boolean ok;
            try {
                h.attach(device);
                ok = true;
            } catch (VfioException e) {
                ok = false;
                assertThat(e.errno()).as("errno of failing %s #%d", op, nth).isEqualTo(Errno.ENOMEM);
            }
            h.assertBackendMatchesCore();
            assertThat(h.dev(device).attached()).isEqualTo(ok);
            if (ok && setup != Setup.FIRST_DEVICE) {
                assertThat(h.topology().containers()).as("fallback container").hasSize(2);
            }
            outcomes.add(op + "#" + nth + "=" + (ok ? "ok" : "failed"));
        }
        if (setup == Setup.FIRST_DEVICE) {
            // Every call of a first attach is essential: nothing to fall back to.
            assertThat(outcomes).allSatisfy(o -> assertThat(o).endsWith("=failed"));
        } else {
            // Bind and hw info are essential; a failure inside the existing container is swallowed and the
            // device goes to a new container (Q-ATT-7).
            assertThat(outcomes).allSatisfy(o -> assertThat(o)
                    .isEqualTo(o.startsWith("BIND") || o.startsWith("GET_HW_INFO") ? o.replace("=ok", "=failed")
                            : o.replace("=failed", "=ok")));
        }
    }
}
