package io.github.iommufd4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The fault decorator over a backend that records what reaches it. */
class FaultInjectingBackendTest {
    final StubBackend stub = new StubBackend();
    final FaultInjectingBackend faults = new FaultInjectingBackend(stub);

    private static void assertInjected(Errno errno, String message, Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(IommufdException.class, e -> {
            assertThat(e.errno()).isEqualTo(errno);
            assertThat(e.errnoNumber()).isEqualTo(errno.number());
            assertThat(e).hasMessage(message);
        });
    }

    @Test
    @DisplayName("K-FAIL the nth next call fails with the op, arguments, errno and hint, and never reaches the delegate")
    void theNthNextCallFailsWithoutReachingTheDelegate() {
        faults.failNth(BackendOp.HWPT_ALLOC, 2, Errno.ENOMEM);
        assertThat(faults.hwptAlloc(2, 1, HwptAllocFlag.none())).isEqualTo(3);
        assertInjected(Errno.ENOMEM, "HWPT_ALLOC(dev 2, ioas 1, [DIRTY_TRACKING]) failed: ENOMEM"
                + " - injected fault (call 2 of HWPT_ALLOC)",
                () -> faults.hwptAlloc(2, 1, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING)));
        assertThat(faults.hwptAlloc(2, 1, HwptAllocFlag.none())).isEqualTo(3);
        assertThat(stub.reached).containsExactly(BackendOp.HWPT_ALLOC, BackendOp.HWPT_ALLOC);
    }

    @Test
    @DisplayName("a fault is kept as the absolute call it fires on: several may wait, on one operation or several")
    void severalFaultsWaitWithoutShiftingEachOther() {
        faults.failNth(BackendOp.ATTACH, 1, Errno.EINVAL);
        faults.failNth(BackendOp.ATTACH, 3, Errno.ENOMEM);
        faults.failNth(BackendOp.IOAS_ALLOC, 1, Errno.ENOSPC);
        assertInjected(Errno.EINVAL, "ATTACH(dev 2, pt 1) failed: EINVAL - injected fault (call 1 of ATTACH)",
                () -> faults.attach(2, 1));
        faults.attach(2, 1);
        assertInjected(Errno.ENOMEM, "ATTACH(dev 2, pt 4) failed: ENOMEM - injected fault (call 3 of ATTACH)",
                () -> faults.attach(2, 4));
        faults.attach(2, 1);
        assertInjected(Errno.ENOSPC, "IOAS_ALLOC() failed: ENOSPC - injected fault (call 1 of IOAS_ALLOC)", faults::ioasAlloc);
        assertThat(stub.reached).containsExactly(BackendOp.ATTACH, BackendOp.ATTACH);
    }

    @Test
    @DisplayName("faults aimed at one call: the first registered gives the errno, all are used up")
    void faultsOnOneCallAreUsedUpTogether() {
        faults.failNth(BackendOp.DETACH, 1, Errno.EIO);
        faults.failNth(BackendOp.DETACH, 1, Errno.EBUSY);
        assertInjected(Errno.EIO, "DETACH(dev 7) failed: EIO - injected fault (call 1 of DETACH)", () -> faults.detach(7));
        faults.detach(7);
        assertThat(stub.reached).containsExactly(BackendOp.DETACH);
    }

    @Test
    @DisplayName("every call is counted, UNBIND and failed calls included, the delegate's failures too")
    void everyCallIsCounted() {
        stub.failing.put(BackendOp.DESTROY, Errno.ENOENT);
        faults.failNth(BackendOp.UNBIND, 1, Errno.EIO);
        assertThatThrownBy(() -> faults.destroy(9)).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.getMessage()).isEqualTo("DESTROY(stub) failed: ENOENT"));
        assertInjected(Errno.EIO, "UNBIND(dev 2) failed: EIO - injected fault (call 1 of UNBIND)", () -> faults.unbind(2));
        faults.unbind(2);
        faults.ioasAlloc();
        assertThat(faults.callCounts()).isEqualTo(Map.of(BackendOp.DESTROY, 1L, BackendOp.UNBIND, 2L, BackendOp.IOAS_ALLOC, 1L));
    }

    @Test
    @DisplayName("every kernel call is its own operation, with its arguments as CallArguments writes them")
    void everyKernelCallIsItsOwnOperation() {
        Map<BackendOp, Runnable> calls = new EnumMap<>(BackendOp.class);
        calls.put(BackendOp.IOAS_ALLOC, faults::ioasAlloc);
        calls.put(BackendOp.IOAS_MAP, () -> faults.ioasMap(1, 0x1000000, 0x2000));
        calls.put(BackendOp.IOAS_UNMAP, () -> faults.ioasUnmap(1, 0, -1L));
        calls.put(BackendOp.DESTROY, () -> faults.destroy(4));
        calls.put(BackendOp.BIND, () -> faults.bind("vf0"));
        calls.put(BackendOp.UNBIND, () -> faults.unbind(2));
        calls.put(BackendOp.GET_HW_INFO, () -> faults.getHwInfo(2));
        calls.put(BackendOp.HWPT_ALLOC, () -> faults.hwptAlloc(2, 1, HwptAllocFlag.none()));
        calls.put(BackendOp.ATTACH, () -> faults.attach(2, 3));
        calls.put(BackendOp.DETACH, () -> faults.detach(2));
        calls.put(BackendOp.SET_DIRTY_TRACKING, () -> faults.setDirtyTracking(3, false));
        calls.put(BackendOp.GET_DIRTY_BITMAP, () -> faults.getDirtyBitmap(3, 0x1000000, 0x2000, 0x1000, true, new DirtyBitmap(2)));
        calls.put(BackendOp.DMA_LOGGING_START, () -> faults.dmaLoggingStart(2, List.of(new IovaRange(0, 0x1000)), 0x1000));
        calls.put(BackendOp.DMA_LOGGING_STOP, () -> faults.dmaLoggingStop(2));
        calls.put(BackendOp.DMA_LOGGING_REPORT, () -> faults.dmaLoggingReport(2, 0, 0x1000, 0x1000, new DirtyBitmap(1)));
        assertThat(calls.keySet()).containsExactly(BackendOp.values());
        Map<BackendOp, String> arguments = Map.ofEntries(Map.entry(BackendOp.IOAS_ALLOC, ""),
                Map.entry(BackendOp.IOAS_MAP, "ioas 1, iova 0x1000000, length 0x2000"),
                Map.entry(BackendOp.IOAS_UNMAP, "ioas 1, iova 0x0, length 0xffffffffffffffff"),
                Map.entry(BackendOp.DESTROY, "id 4"), Map.entry(BackendOp.BIND, "vf0"), Map.entry(BackendOp.UNBIND, "dev 2"),
                Map.entry(BackendOp.GET_HW_INFO, "dev 2"), Map.entry(BackendOp.HWPT_ALLOC, "dev 2, ioas 1, []"),
                Map.entry(BackendOp.ATTACH, "dev 2, pt 3"), Map.entry(BackendOp.DETACH, "dev 2"),
                Map.entry(BackendOp.SET_DIRTY_TRACKING, "hwpt 3, disable"),
                Map.entry(BackendOp.GET_DIRTY_BITMAP, "hwpt 3, iova 0x1000000, length 0x2000, page 0x1000, NO_CLEAR"),
                Map.entry(BackendOp.DMA_LOGGING_START, "dev 2, 1 range(s), page 0x1000"),
                Map.entry(BackendOp.DMA_LOGGING_STOP, "dev 2"),
                Map.entry(BackendOp.DMA_LOGGING_REPORT, "dev 2, iova 0x0, length 0x1000, page 0x1000"));
        for (BackendOp op : BackendOp.values()) {
            faults.failNth(op, 1, Errno.EIO);
            assertThatThrownBy(calls.get(op)::run).as(op.name()).isInstanceOfSatisfying(IommufdException.class, e -> {
                assertThat(e.op()).isEqualTo(op);
                assertThat(e.arguments()).isEqualTo(arguments.get(op));
            });
            calls.get(op).run();
        }
        assertThat(stub.reached).containsExactly(BackendOp.values());
        assertThat(faults.callCounts()).hasSize(BackendOp.values().length).allSatisfy((op, n) -> assertThat(n).isEqualTo(2L));
    }

    @Test
    @DisplayName("arguments no kernel call could express are rejected first: not counted, never reaching the delegate")
    void impossibleArgumentsAreNotCalls() {
        faults.failNth(BackendOp.GET_DIRTY_BITMAP, 1, Errno.EIO);
        assertThatThrownBy(() -> faults.getDirtyBitmap(3, 0, 0x400000, 4096, false, new DirtyBitmap(1023)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too small for 1024 pages");
        assertThatThrownBy(() -> faults.getDirtyBitmap(3, 0, 0x1000, 4096, false, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> faults.dmaLoggingReport(2, 0, -1L, 1, new DirtyBitmap(64))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> faults.bind(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("deviceRef");
        assertThatThrownBy(() -> faults.hwptAlloc(2, 1, null)).isInstanceOf(NullPointerException.class).hasMessageContaining("flags");
        assertThatThrownBy(() -> faults.dmaLoggingStart(2, null, 4096)).isInstanceOf(NullPointerException.class);
        List<IovaRange> withNull = new ArrayList<>();
        withNull.add(null);
        assertThatThrownBy(() -> faults.dmaLoggingStart(2, withNull, 4096)).isInstanceOf(NullPointerException.class);
        assertThat(faults.callCounts()).isEmpty();
        assertThat(stub.reached).isEmpty();
        assertInjected(Errno.EIO, "GET_DIRTY_BITMAP(hwpt 3, iova 0x0, length 0x1000, page 0x1000) failed: EIO"
                + " - injected fault (call 1 of GET_DIRTY_BITMAP)",
                () -> faults.getDirtyBitmap(3, 0, 0x1000, 4096, false, new DirtyBitmap(1)));
    }

    @Test
    void failNthRejectsWhatCannotBeInjected() {
        assertThatThrownBy(() -> faults.failNth(BackendOp.ATTACH, 0, Errno.EINVAL)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nth must be 1 or more");
        assertThatThrownBy(() -> faults.failNth(BackendOp.ATTACH, 1, Errno.UNKNOWN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> faults.failNth(null, 1, Errno.EINVAL)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> faults.failNth(BackendOp.ATTACH, 1, null)).isInstanceOf(NullPointerException.class);
        faults.attach(2, 1);
        assertThat(stub.reached).containsExactly(BackendOp.ATTACH);
    }

    @Test
    void clearFaultsDropsEveryPendingFault() {
        faults.failNth(BackendOp.IOAS_ALLOC, 1, Errno.ENOMEM);
        faults.failNth(BackendOp.DESTROY, 2, Errno.EBUSY);
        faults.clearFaults();
        faults.ioasAlloc();
        faults.destroy(1);
        faults.destroy(1);
        assertThat(stub.reached).containsExactly(BackendOp.IOAS_ALLOC, BackendOp.DESTROY, BackendOp.DESTROY);
    }

    @Test
    @DisplayName("the decorator is the fault injection; the delegate's other abilities pass through")
    void abilities() {
        assertThat(faults.faultInjection()).containsSame(faults);
        assertThat(faults.inventory()).isPresent();
        assertThat(faults.provisioning()).isEmpty();
        assertThat(faults.dmaSimulation()).isEmpty();
        assertThat(faults.providerName()).isEqualTo("stub");
        assertThat(faults.deviceRefs()).containsExactly("dev");
    }

    @Test
    @DisplayName("close drops pending faults and closes the delegate; later calls are the delegate's to refuse")
    void closeDropsFaultsAndPassesCallsOn() {
        faults.failNth(BackendOp.IOAS_ALLOC, 1, Errno.ENOMEM);
        faults.close();
        assertThat(stub.closed).isTrue();
        assertThatThrownBy(faults::ioasAlloc).isInstanceOf(IllegalStateException.class).hasMessage("stub closed");
        assertThatThrownBy(() -> faults.failNth(BackendOp.ATTACH, 1, Errno.EINVAL)).isInstanceOf(IllegalStateException.class)
                .hasMessage("backend closed");
        assertThatThrownBy(faults::callCounts).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(faults::clearFaults).isInstanceOf(IllegalStateException.class);
    }
}
