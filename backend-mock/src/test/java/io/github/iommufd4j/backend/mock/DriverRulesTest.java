package io.github.iommufd4j.backend.mock;

import static io.github.iommufd4j.api.HwptAllocFlag.DIRTY_TRACKING;
import static io.github.iommufd4j.api.HwptAllocFlag.NEST_PARENT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The drivers the mock tells apart by an IOMMU's family ({@link DriverRules}): arm-smmu-v3 refuses a nesting parent
 * with dirty tracking (what QEMU 11.0 asks for behind an accelerated vSMMU on a dirty-capable host, Q-EV-3 of
 * {@code docs/reference/qemu-rules.md}); every other family takes it, as the kernel's selftest mock does.
 */
class DriverRulesTest extends MockTestSupport {
    static final IommuSpec SMMU = selftestShaped("smmu0", DriverRules.ARM_SMMU_V3, true, true);

    @Test
    @DisplayName("arm-smmu-v3: DIRTY_TRACKING with NEST_PARENT is EOPNOTSUPP, and nothing is left behind")
    void armSmmuV3RefusesDirtyTrackingOnANestingParent() {
        BoundDevice dev = device("vf0", SMMU);
        int ioas = be.ioasAlloc();
        assertThatThrownBy(() -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING, NEST_PARENT)))
                .isInstanceOfSatisfying(IommufdException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP);
                    assertThat(e.getMessage()).contains("arm-smmu-v3", "smmu0", "DIRTY_TRACKING with NEST_PARENT");
                });
        assertThat(be.liveObjects()).containsExactlyInAnyOrder(new BackendObject(BackendObject.Type.DEVICE, dev.devId()),
                new BackendObject(BackendObject.Type.IOAS, ioas));
    }

    @Test
    @DisplayName("arm-smmu-v3: a nesting parent alone, and dirty tracking alone, are made")
    void armSmmuV3MakesEitherFlagAlone() {
        BoundDevice dev = device("vf0", SMMU);
        int ioas = be.ioasAlloc();
        int parent = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(NEST_PARENT));
        int dirty = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING));
        assertThat(be.liveObjects()).contains(new BackendObject(BackendObject.Type.HWPT, parent),
                new BackendObject(BackendObject.Type.HWPT, dirty));
        be.setDirtyTracking(dirty, true);
        // each got the flag it asked for, and only that: the parent cannot track dirty pages (K-SDT-3)
        assertThatThrownBy(() -> be.setDirtyTracking(parent, true)).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP));
    }

    @Test
    @DisplayName("another family (the selftest mock's rule) takes DIRTY_TRACKING with NEST_PARENT")
    void otherFamiliesTakeBoth() {
        BoundDevice dev = device("vf0", DIRTY);
        int ioas = be.ioasAlloc();
        int hwpt = be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING, NEST_PARENT));
        be.setDirtyTracking(hwpt, true);
        assertThat(be.liveObjects()).contains(new BackendObject(BackendObject.Type.HWPT, hwpt));
        // a nesting parent that tracks: a write through it is reported
        be.ioasMap(ioas, 0x1000000, 0x10000);
        be.attach(dev.devId(), hwpt);
        assertThat(be.dmaSimulation().orElseThrow().dmaWrite(dev.devId(), 0x1000000, 0x1000)).isPositive();
        DirtyBitmap bitmap = DirtyBitmap.forRange(0x10000, 0x1000);
        be.getDirtyBitmap(hwpt, 0x1000000, 0x10000, 0x1000, false, bitmap);
        assertThat(bitmap.cardinality()).isEqualTo(1);
    }

    @Test
    @DisplayName("arm-smmu-v3: the core's checks come first (dirty tracking the IOMMU lacks is K-ALLOC-6's refusal)")
    void coreChecksComeFirst() {
        BoundDevice dev = device("vf0", selftestShaped("smmu1", DriverRules.ARM_SMMU_V3, false, true));
        int ioas = be.ioasAlloc();
        assertThatThrownBy(() -> be.hwptAlloc(dev.devId(), ioas, HwptAllocFlag.setOf(DIRTY_TRACKING, NEST_PARENT)))
                .isInstanceOfSatisfying(IommufdException.class,
                        e -> assertThat(e.getMessage()).contains("has no dirty tracking").doesNotContain("stage-2"));
    }
}
