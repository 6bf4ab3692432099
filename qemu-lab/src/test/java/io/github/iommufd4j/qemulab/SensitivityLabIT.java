package io.github.iommufd4j.qemulab;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.qemulab.compare.LabComparison;
import io.github.iommufd4j.qemulab.compare.QemuScenarioRun;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.DmaWrite;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The comparison can fail: a scenario where QEMU 10.0 departs from 9.1 agrees with core's {@code qemu-10.0} and
 * differs from core's {@code qemu-9.1} exactly where the rule says (Q-EV-7: a device no tracker sees loses its writes
 * from 10.0 on, where 9.1 reported them as perpetual dirty). And the lab's measure of marks no query shows (pages
 * QEMU sends twice) sees a page a later sync marks dirty.
 */
class SensitivityLabIT {

    @Test
    void qEv7MakesQemuTenDifferFromCoreNineOnePrecisely() {
        QemuInstallation installation = Lab.installation();
        Scenario s = new Scenario(1, "no-tracker-on", null, null, 4096, ScenarioGenerator.QEMU_PC_128M,
                List.of(new IommuDef("iommu0", "default", false, true)),
                List.of(new DeviceDef("vf0", "iommu0", false, false, true, true, OnOffAuto.ON, OnOffAuto.ON, false)),
                List.of(new Step.Attach("vf0"), new Step.Migrate(List.of(new DmaWrite("vf0", 0x200000, 0x3000)))));
        LabComparison.Outcome ten = new LabComparison(installation, null).compare(s.name(), s);
        assertThat(ten.verdict()).as("%s", ten.differences()).isEqualTo(LabComparison.Verdict.AGREES);
        LabComparison.Outcome nine = new LabComparison(installation, null, "qemu-9.1").compare(s.name(), s);
        assertThat(nine.differences()).containsExactly("dirty.reported: core=3 qemu=0",
                "dirty.lost[0]: core=(absent) qemu={\"device\":\"vf0\",\"iova\":\"0x200000\",\"pages\":3}");
    }

    @Test
    void pagesAFinalSyncMarksDirtyAreSentTwice() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", io.github.iommufd4j.api.IommuSpec.of("i0", "default",
                true, true), 3)))) {
            assertThat(s.hotplug("vf0").ok()).isTrue();
            s.qmp().execute("migrate-set-parameters", Map.of("downtime-limit", 0), s.config().timeout());
            AtomicInteger queries = new AtomicInteger();
            // After the setup sync's fifth and last query: the final sync reports the 3 pages and QEMU sends them again.
            s.kernel().onEntry(e -> e.is(io.github.iommufd4j.api.BackendOp.GET_DIRTY_BITMAP), e -> {
                if (queries.incrementAndGet() == 5) {
                    s.dma("vf0", 0x200000, 0x3000);
                }
            }, false);
            assertThat(s.migrate().completed()).isTrue();
            assertThat(queries.get()).isEqualTo(10);
            assertThat(QemuScenarioRun.pagesSentTwice(s)).isEqualTo(3);
        }
    }
}
