package io.github.iommufd4j.simulator.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportRecordsTest {

    @Test
    void flagsAreCarriedOnHwptAllocOnly() {
        assertThat(new CallReport("HWPT_ALLOC", List.of("DIRTY_TRACKING"), "ok").flags()).containsExactly("DIRTY_TRACKING");
        assertThat(CallReport.of("ATTACH", "EINVAL").flags()).isNull();
        assertThat(CallReport.of("ATTACH", "EINVAL").isOk()).isFalse();
        assertThatThrownBy(() -> new CallReport("ATTACH", List.of(), "ok")).hasMessageContaining("HWPT_ALLOC calls only");
        assertThatThrownBy(() -> new CallReport("HWPT_ALLOC", null, "ok")).hasMessageContaining("flags of HWPT_ALLOC");
    }

    @Test
    void lostRunIovaIsLowerCaseHex() {
        assertThat(LostRun.of("vf1", 0x1A000000L, 2).iova()).isEqualTo("0x1a000000");
        assertThat(LostRun.of("vf1", 0x1A000000L, 2).iovaValue()).isEqualTo(0x1A000000L);
        assertThatThrownBy(() -> new LostRun("vf1", "0x1A", 1)).hasMessageContaining("lower-case hex");
        assertThatThrownBy(() -> new LostRun("vf1", "4096", 1)).hasMessageContaining("lower-case hex");
    }

    @Test
    void listsAreCopiedAndInconsistentValuesRejected() {
        List<String> devices = new ArrayList<>(List.of("vf0"));
        HwptReport h = new HwptReport(4, List.of(), devices);
        devices.add("vf1");
        assertThat(h.devices()).containsExactly("vf0");
        assertThatThrownBy(() -> new StepReport(0, "attach", "vf0", true, "EINVAL", null, List.of(), List.of()))
                .hasMessageContaining("succeeded but has errno EINVAL");
        assertThatThrownBy(() -> new DeviceReport("vf0", false, 1, null, false, null)).hasMessageContaining("not attached");
        assertThatThrownBy(() -> new DirtyReport(1, 2, List.of())).hasMessageContaining("reported 2 of written 1");
    }
}
