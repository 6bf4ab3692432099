package io.github.iommufd4j.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FlagSetTest {

    @Test
    void kernelBitValues() {
        assertThat(HwptAllocFlag.NEST_PARENT.bit()).isEqualTo(1);
        assertThat(HwptAllocFlag.DIRTY_TRACKING.bit()).isEqualTo(2);
        assertThat(HwptAllocFlag.FAULT_ID_VALID.bit()).isEqualTo(4);
        assertThat(HwptAllocFlag.PASID.bit()).isEqualTo(8);
        assertThat(HwCap.DIRTY_TRACKING.bit()).isEqualTo(1);
        assertThat(HwInfoType.SELFTEST.code()).isEqualTo(0xfeedbeef);
        assertThat(HwInfoType.ofCode(1)).isEqualTo(HwInfoType.INTEL_VTD);
        assertThat(HwInfoType.ofCode(77)).isEqualTo(HwInfoType.UNKNOWN);
    }

    @Test
    void containsIsTheBitAndNamesComeInBitOrder() {
        FlagSet<HwptAllocFlag> f = HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING, HwptAllocFlag.NEST_PARENT);
        assertThat(f.bits()).isEqualTo(3);
        assertThat(f.contains(HwptAllocFlag.DIRTY_TRACKING)).isTrue();
        assertThat(f.contains(HwptAllocFlag.PASID)).isFalse();
        assertThat(f.toList()).containsExactly(HwptAllocFlag.NEST_PARENT, HwptAllocFlag.DIRTY_TRACKING);
        assertThat(f).hasToString("[NEST_PARENT, DIRTY_TRACKING]");
        assertThat(HwptAllocFlag.none()).hasToString("[]");
        assertThat(HwptAllocFlag.none().isEmpty()).isTrue();
    }

    @Test
    void unknownBitsSurviveAndShowAsHex() {
        FlagSet<HwCap> caps = FlagSet.ofBits(HwCap.class, 0x11);
        assertThat(caps.contains(HwCap.DIRTY_TRACKING)).isTrue();
        assertThat(caps.unknownBits()).isEqualTo(0x10);
        assertThat(caps).hasToString("[DIRTY_TRACKING, 0x10]");
    }

    @Test
    void equalityIsTypeAndBits() {
        assertThat(HwptAllocFlag.setOf(HwptAllocFlag.NEST_PARENT)).isEqualTo(FlagSet.ofBits(HwptAllocFlag.class, 1))
                .isNotEqualTo(FlagSet.ofBits(HwCap.class, 1));
        assertThat(HwptAllocFlag.none().with(HwptAllocFlag.DIRTY_TRACKING).bits()).isEqualTo(2);
    }
}
