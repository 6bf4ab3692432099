package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.backend.mock.MockBackend;
import io.github.iommufd4j.core.DeviceConfig;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.core.VfioIommufd;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Arguments no kernel call could express are rejected with {@link IllegalArgumentException} or
 * {@link NullPointerException}, naming the argument, before any backend call is made (the backend's call
 * counters do not move).
 */
class HostileInputTest {
    static {
        QuietLogs.on();
    }

    static final IommuSpec DIRTY = IommuSpec.of("iommu0", "default", true, true);

    final MockBackend mock = new MockBackend();

    @AfterEach
    void close() {
        mock.close();
    }

    /** Asserts {@code call} throws {@code type} with a message containing {@code words}, and no backend call was made. */
    private void rejected(ThrowingCallable call, Class<? extends RuntimeException> type, String... words) {
        Map<BackendOp, Long> before = mock.callCounts();
        assertThatThrownBy(call).isInstanceOf(type).message().contains(words);
        assertThat(mock.callCounts()).as("backend calls after a rejected argument").isEqualTo(before);
    }

    private VfioIommufd vmmWithADevice() {
        mock.createDevice(DeviceSpec.plain("vf0", DIRTY));
        VfioIommufd vmm = new VfioIommufd(mock, Profile.QEMU_9_1, 4096);
        vmm.mapMemory(0x1000000, 0x400000);
        vmm.attach(DeviceConfig.of("vf0"));
        return vmm;
    }

    @Test
    void vmmConstructorRejectsNullsAndBadPageSizes() {
        assertThatThrownBy(() -> new VfioIommufd(null, Profile.QEMU_9_1, 4096)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("backend");
        assertThatThrownBy(() -> new VfioIommufd(mock, null, 4096)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("profile");
        for (long bad : new long[] {0, -4096, 3000, 4097, Long.MIN_VALUE}) {
            assertThatThrownBy(() -> new VfioIommufd(mock, Profile.QEMU_9_1, bad)).as("page size %d", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("page size " + bad);
        }
    }

    @Test
    void vmmRejectsEmptyAndWrappingRangesBeforeAnyCall() {
        VfioIommufd vmm = vmmWithADevice();
        rejected(() -> vmm.mapMemory(0x2000000, 0), IllegalArgumentException.class, "length 0");
        rejected(() -> vmm.mapMemory(0xffff_ffff_ffff_f000L, 0x2000), IllegalArgumentException.class, "overflows");
        rejected(() -> vmm.mapMemory(0x2000000, -0x1000), IllegalArgumentException.class, "overflows");
        rejected(() -> vmm.sync(0x1000000, 0), IllegalArgumentException.class, "length 0");
        rejected(() -> vmm.sync(-0x1000, 0x2000), IllegalArgumentException.class, "overflows");
        rejected(() -> vmm.unmapMemory(0x3000000, 0x1000), IllegalArgumentException.class, "no guest memory range");
        rejected(() -> vmm.attach(null), NullPointerException.class, "config");
        rejected(() -> vmm.addDiagnosticListener(null), NullPointerException.class, "listener");
        rejected(() -> new DeviceConfig(null, "r", io.github.iommufd4j.core.OnOffAuto.ON,
                io.github.iommufd4j.core.OnOffAuto.ON, false), NullPointerException.class, "name");
    }

    @Test
    void dirtyBitmapRejectsImpossibleSizes() {
        assertThatThrownBy(() -> new DirtyBitmap(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> new DirtyBitmap(Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64-bit words");
        assertThatThrownBy(() -> DirtyBitmap.forRange(Long.MAX_VALUE, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64-bit words");
        assertThatThrownBy(() -> DirtyBitmap.pageCount(4096, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("page size 0");
        assertThatThrownBy(() -> DirtyBitmap.pageCount(4096, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("page size 3");
        assertThatThrownBy(() -> DirtyBitmap.pageCount(-1, 4096)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length");
        assertThat(DirtyBitmap.byteSize(Long.MAX_VALUE, 1)).as("QEMU's buffer size does not wrap").isPositive();
        DirtyBitmap b = new DirtyBitmap(100);
        assertThatThrownBy(() -> b.set(100)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("100");
        assertThatThrownBy(() -> b.get(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> b.setRange(90, 11)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> b.setRange(Long.MAX_VALUE, Long.MAX_VALUE)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> b.or(new DirtyBitmap(101))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("101");
        assertThat(b.isEmpty()).as("no failed call changed the bitmap").isTrue();
    }

    @Test
    void iovaRangeRejectsEmptyAndWrappingRanges() {
        assertThatThrownBy(() -> new IovaRange(0x1000, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length 0");
        assertThatThrownBy(() -> new IovaRange(-0x1000, 0x2000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("overflows");
        assertThatThrownBy(() -> new IovaRange(2, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("overflows");
        assertThat(new IovaRange(-0x1000, 0x1000).last()).as("the top page of the 64-bit space is a range").isEqualTo(-1L);
    }

    @Test
    void mockRejectsNullsAndShortBitmapsBeforeCounting() {
        VfioIommufd vmm = vmmWithADevice();
        int hwpt = vmm.snapshot().device("vf0").hwptId();
        int devId = vmm.devId("vf0");
        rejected(() -> mock.getDirtyBitmap(hwpt, 0x1000000, 0x400000, 4096, false, new DirtyBitmap(1023)),
                IllegalArgumentException.class, "too small", "1024 pages");
        rejected(() -> mock.getDirtyBitmap(hwpt, 0x1000000, 0x400000, 4096, false, null), NullPointerException.class, "into");
        rejected(() -> mock.dmaLoggingReport(devId, 0, -1L, 1, new DirtyBitmap(64)), IllegalArgumentException.class,
                "too small");
        rejected(() -> mock.hwptAlloc(devId, 1, null), NullPointerException.class, "flags");
        rejected(() -> mock.bind(null), NullPointerException.class, "deviceRef");
        rejected(() -> mock.dmaLoggingStart(devId, null, 4096), NullPointerException.class, "ranges");
        rejected(() -> mock.failNth(BackendOp.ATTACH, 0, io.github.iommufd4j.api.Errno.ENOMEM),
                IllegalArgumentException.class, "nth");
        rejected(() -> mock.createDevice(null), NullPointerException.class, "spec");
        assertThat(HwptAllocFlag.none().isEmpty()).isTrue();
    }

    /**
     * A guest memory range overlapping one already added, or one in the top half of the 64-bit space (a
     * "negative" iova, which no guest RAM has and IOAS_MAP refuses), is accepted by {@code mapMemory} while no
     * container exists, because no backend call is made then; from that moment every attach fails with "memory
     * listener initialization failed" (EEXIST, EINVAL on the mock) until the range is removed. Checked by hand:
     * attach after each of the two calls below fails that way. They should be rejected when added.
     */
    @Test
    void mapMemoryWithoutContainersRejectsRangesNoContainerCouldMap() {
        mock.createDevice(DeviceSpec.plain("vf0", DIRTY));
        VfioIommufd vmm = new VfioIommufd(mock, Profile.QEMU_9_1, 4096);
        vmm.mapMemory(0x1000000, 0x400000);
        rejected(() -> vmm.mapMemory(0x1000000, 0x400000), IllegalArgumentException.class, "overlaps");
        rejected(() -> vmm.mapMemory(-0x1000, 0x1000), IllegalArgumentException.class, "iova");
        vmm.attach(DeviceConfig.of("vf0"));
        assertThat(vmm.memory()).containsExactly(new IovaRange(0x1000000, 0x400000));
    }

    @Test
    void rejectedRangesLeaveTheVmmUsable() {
        VfioIommufd vmm = vmmWithADevice();
        List<IovaRange> before = vmm.memory();
        assertThatThrownBy(() -> vmm.mapMemory(0x1000000, 0x400000)).as("the same range again")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
        assertThat(vmm.memory()).isEqualTo(before);
        vmm.detach("vf0");
        assertThat(mock.liveObjects()).isEmpty();
    }
}
