package io.github.iommufd4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class FaultScheduleTest {
    @Test
    void aFaultFiresOnTheCallItWasScheduledForCountedFromWhenItWasScheduled() {
        FaultSchedule<String> s = new FaultSchedule<>();
        assertThat(s.admit(BackendOp.ATTACH)).isNull();
        s.schedule(BackendOp.ATTACH, 2, "second from now");
        s.schedule(BackendOp.DETACH, 1, "next detach");
        assertThat(s.admit(BackendOp.ATTACH)).isNull();
        assertThat(s.admit(BackendOp.ATTACH)).isEqualTo("second from now");
        assertThat(s.count(BackendOp.ATTACH)).isEqualTo(3);
        assertThat(s.admit(BackendOp.ATTACH)).as("used up").isNull();
        assertThat(s.admit(BackendOp.DETACH)).isEqualTo("next detach");
        assertThat(s.counts()).isEqualTo(Map.of(BackendOp.ATTACH, 4L, BackendOp.DETACH, 1L));
    }

    @Test
    void ofSeveralFaultsOnOneCallTheFirstScheduledFiresAndAllAreUsedUp() {
        FaultSchedule<String> s = new FaultSchedule<>();
        s.schedule(BackendOp.IOAS_MAP, 1, "first");
        s.schedule(BackendOp.IOAS_MAP, 1, "second");
        assertThat(s.admit(BackendOp.IOAS_MAP)).isEqualTo("first");
        s.schedule(BackendOp.IOAS_MAP, 1, "third");
        s.clear();
        assertThat(s.admit(BackendOp.IOAS_MAP)).isNull();
        assertThat(s.count(BackendOp.IOAS_MAP)).as("clear keeps the counts").isEqualTo(2);
        assertThatThrownBy(() -> s.schedule(BackendOp.IOAS_MAP, 0, "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nth must be 1 or more");
    }
}
