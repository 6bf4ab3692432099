package io.github.iommufd4j.simulator.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.core.DirtyPagesUpkeep;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.simulator.Simulator;
import io.github.iommufd4j.simulator.oracle.DirtyCosts;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyComparisonTest {
    /** Q-DT-5's sticky flag: vf0 leaves, the container keeps dirty_pages_supported, vf1's writes are never read. */
    private static Scenario stickyFlag() {
        return new Scenario(1, "sticky", null, null, 4096, List.of(new MemoryRange(0x1000000, 0x10000)),
                List.of(new IommuDef("i0", "default", true, true), new IommuDef("i1", "default", false, true)),
                List.of(DeviceDef.withDefaults("vf0", "i0"),
                        new DeviceDef("vf1", "i1", false, false, true, true, OnOffAuto.OFF, OnOffAuto.ON, false)),
                List.of(new Step.Attach("vf0"), new Step.Attach("vf1"), new Step.Detach("vf0"), new Step.StartDirtyTracking(),
                        new Step.Dma("vf1", 0x1000000, 0x3000), Step.Sync.allMemory(), new Step.Dma("vf1", 0x1004000, 0x1000),
                        Step.Sync.allMemory(), new Step.StopDirtyTracking()));
    }

    @Test
    void aPolicySetComposedInCodeIsComparedBesideTheNamedOnes() {
        Profile live = Profile.QEMU_9_1.derive("qemu-9.1+live-upkeep").dirtyPagesUpkeep(DirtyPagesUpkeep.LIVE).build();
        List<PolicyComparison.Figures> f = PolicyComparison.compare(new Simulator(), List.of(stickyFlag(), stickyFlag()),
                List.of(Profile.QEMU_9_1, live));
        assertThat(f).extracting(PolicyComparison.Figures::profile).containsExactly("qemu-9.1", "qemu-9.1+live-upkeep");
        PolicyComparison.Figures qemu = f.get(0);
        assertThat(qemu.scenarios()).isEqualTo(2);
        assertThat(qemu.scenariosLosingPages()).isEqualTo(2);
        assertThat(qemu.pagesWritten()).isEqualTo(8);
        assertThat(qemu.pagesLost()).isEqualTo(8);
        assertThat(qemu.costs()).isEqualTo(DirtyCosts.NONE);
        assertThat(qemu.hwptsAllocated()).isEqualTo(4);
        assertThat(qemu.failedAttaches()).isZero();
        assertThat(qemu.devicesAllowedToMigrate()).isZero(); // vf1 has enable-migration off
        PolicyComparison.Figures composed = f.get(1);
        assertThat(composed.pagesLost()).isZero();
        // Two syncs of 16 pages each, all perpetual dirty: 3 + 1 pages needed, the rest copied for no write.
        assertThat(composed.costs()).isEqualTo(new DirtyCosts(2 * 32, 2 * 4, 0, 2 * 28));
        assertThat(composed.backendCalls()).isEqualTo(qemu.backendCalls());
    }
}
