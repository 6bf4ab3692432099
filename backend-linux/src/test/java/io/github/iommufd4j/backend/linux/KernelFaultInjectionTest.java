package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FaultInjection;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.backend.linux.sys.ScriptedIoctls;
import io.github.iommufd4j.backend.linux.uapi.HwptAlloc;
import io.github.iommufd4j.backend.linux.uapi.IoasAlloc;
import io.github.iommufd4j.backend.linux.uapi.IommuTestCmd;
import io.github.iommufd4j.backend.linux.uapi.SetDirtyTracking;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** faults=kernel through the scripted seam: which fault point is armed for which call, and what is refused. */
class KernelFaultInjectionTest {
    @TempDir
    Path tmp;
    ScriptedIoctls sys;
    IommufdBackend backend;
    KernelFaults faults;
    Path knob;

    @BeforeEach
    void open() throws IOException {
        sys = new ScriptedIoctls();
        sys.expectErrno(IommuTestCmd.REQUEST, Errno.EOPNOTSUPP.number()); // the selftest availability probe
        knob = tmp.resolve("debug/failslab/ignore-gfp-wait");
        Files.createDirectories(knob.getParent());
        Files.writeString(knob, "Y\n");
        backend = open(Map.of("source", "selftest", "faults", "kernel"));
        faults = (KernelFaults) backend.faultInjection().orElseThrow();
    }

    private IommufdBackend open(Map<String, String> options) {
        return new LinuxBackendProvider(new LinuxHost(() -> sys, "/dev/iommu", tmp.resolve("sys"), tmp.resolve("dev"),
                tmp.resolve("debug"))).open(BackendOptions.of(options));
    }

    @AfterEach
    void scriptConsumed() {
        assertThat(sys.scriptDone()).as("every scripted ioctl was made").isTrue();
    }

    /** Binds a dirty-capable selftest device (parking IOAS 1, stdev 2, idev 3). */
    private BoundDevice bindMock(String name) {
        backend.provisioning().orElseThrow().createDevice(DeviceSpec.plain(name, SelftestSourceTest.DIRTY));
        sys.expect(IoasAlloc.REQUEST, (s, m) -> {
            assertThat(m.armedNth()).as("the parking IOAS is never armed").isZero();
            s.putInt(IoasAlloc.OFF_OUT_IOAS_ID, 1);
            return 0;
        });
        sys.expect(IommuTestCmd.REQUEST, (s, m) -> {
            s.putInt(IommuTestCmd.MD_OFF_OUT_STDEV_ID, 2);
            s.putInt(IommuTestCmd.MD_OFF_OUT_IDEV_ID, 3);
            return 0;
        });
        return backend.bind(name);
    }

    @Test
    @DisplayName("opening sets failslab/ignore-gfp-wait to N and opens the calling thread's fail-nth file")
    void openSetsTheKnobAndOpensTheThreadsFile() throws IOException {
        assertThat(Files.readString(knob).trim()).isEqualTo("N");
        assertThat(sys.failNthFiles()).hasSize(1);
        assertThat(sys.failNthFiles().get(0).owner()).isSameAs(Thread.currentThread());
        backend.close();
        assertThat(sys.failNthFiles().get(0).closed()).as("closed with the backend").isTrue();
    }

    @Test
    @DisplayName("without fail-nth or without the knob the backend is unavailable, with the reason")
    void missingFailNthOrKnobIsUnavailable() throws IOException {
        sys = new ScriptedIoctls().failNthMissing(Errno.ENOENT.number());
        sys.expectErrno(IommuTestCmd.REQUEST, Errno.EOPNOTSUPP.number());
        assertThatThrownBy(() -> open(Map.of("source", "selftest", "faults", "kernel")))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("/proc/thread-self/fail-nth")
                .hasMessageContaining("ENOENT");
        Files.delete(knob);
        sys = new ScriptedIoctls();
        sys.expectErrno(IommuTestCmd.REQUEST, Errno.EOPNOTSUPP.number());
        assertThatThrownBy(() -> open(Map.of("source", "selftest", "faults", "kernel")))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("ignore-gfp-wait");
        assertThat(sys.failNthFiles()).as("the file opened for the check is closed again").allMatch(ScriptedIoctls.FakeFailNth::closed);
    }

    @Test
    @DisplayName("without faults=kernel the backend has no FaultInjection and arms nothing")
    void noFaultInjectionByDefault() {
        sys = new ScriptedIoctls();
        sys.expectErrno(IommuTestCmd.REQUEST, Errno.EOPNOTSUPP.number());
        assertThat(open(Map.of("source", "selftest")).faultInjection()).isEmpty();
        assertThat(sys.failNthFiles()).isEmpty();
    }

    @Test
    @DisplayName("HWPT_ALLOC ENOMEM arms fault point 3 (the HWPT object) of the second HWPT_ALLOC, and the kernel's ENOMEM comes back")
    void hwptAllocEnomemArmsPointThree() {
        BoundDevice d = bindMock("vf0");
        faults.failNth(BackendOp.HWPT_ALLOC, 2, Errno.ENOMEM);
        sys.expect(HwptAlloc.REQUEST, (s, m) -> {
            assertThat(m.armedNth()).as("the first HWPT_ALLOC is not armed").isZero();
            s.putInt(HwptAlloc.OFF_OUT_HWPT_ID, 5);
            return 0;
        });
        assertThat(backend.hwptAlloc(d.devId(), 4, HwptAllocFlag.none())).isEqualTo(5);
        sys.expect(HwptAlloc.REQUEST, (s, m) -> {
            assertThat(m.armedNth()).isEqualTo(3);
            m.fire();
            return Errno.ENOMEM.number();
        });
        assertThatThrownBy(() -> backend.hwptAlloc(d.devId(), 4, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING)))
                .isInstanceOfSatisfying(IommufdException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
                    assertThat(e.getMessage()).contains("kernel-made failure").contains("fault point 3 of HWPT_ALLOC call 2");
                });
        assertThat(sys.armedCalls()).singleElement().satisfies(c -> {
            assertThat(c.request()).isEqualTo(HwptAlloc.REQUEST);
            assertThat(c.file().owner()).isSameAs(Thread.currentThread());
        });
        assertThat(faults.shots()).singleElement().satisfies(s -> {
            assertThat(s.asAsked()).isTrue();
            assertThat(s.call()).isEqualTo(2);
        });
        assertThat(faults.callCounts()).containsEntry(BackendOp.HWPT_ALLOC, 2L).containsEntry(BackendOp.BIND, 1L);
        assertThat(backend.inventory().orElseThrow().liveObjects()).as("no HWPT recorded for the failed call")
                .extracting(Object::toString).containsExactly("DEVICE 3", "HWPT 5");
    }

    @Test
    @DisplayName("an armed call the kernel lets succeed succeeds, and the shot says it did not fire")
    void anAbsorbedFailureIsPassedOn() {
        faults.failNth(BackendOp.IOAS_ALLOC, 1, Errno.ENOMEM);
        sys.expect(IoasAlloc.REQUEST, (s, m) -> {
            assertThat(m.armedNth()).isEqualTo(1);
            s.putInt(IoasAlloc.OFF_OUT_IOAS_ID, 7);
            return 0;
        });
        assertThat(backend.ioasAlloc()).isEqualTo(7);
        assertThat(faults.shots()).singleElement().satisfies(s -> {
            assertThat(s.made()).isTrue();
            assertThat(s.fired()).isFalse();
            assertThat(s.asAsked()).isFalse();
        });
    }

    @Test
    @DisplayName("SET_DIRTY_TRACKING ENOMEM, ATTACH EBUSY, GET_DIRTY_BITMAP EIO and any DESTROY fault are refused, saying why")
    void whatTheKernelCannotMakeIsRefused() {
        assertThatThrownBy(() -> faults.failNth(BackendOp.SET_DIRTY_TRACKING, 1, Errno.ENOMEM))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("allocates nothing")
                .hasMessageContaining("ENOENT (fault point 1)");
        assertThatThrownBy(() -> faults.failNth(BackendOp.ATTACH, 1, Errno.EBUSY))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("EBUSY");
        assertThatThrownBy(() -> faults.failNth(BackendOp.GET_DIRTY_BITMAP, 1, Errno.EIO))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("EIO");
        assertThatThrownBy(() -> faults.failNth(BackendOp.DESTROY, 1, Errno.ENOMEM))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("IOMMU_DESTROY");
        assertThatThrownBy(() -> faults.failNth(BackendOp.HWPT_ALLOC, 0, Errno.ENOMEM)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("SET_DIRTY_TRACKING can be failed with the kernel's ENOENT (the HWPT lookup, its only fault point)")
    void setDirtyTrackingEnoentIsTheLookup() {
        faults.failNth(BackendOp.SET_DIRTY_TRACKING, 1, Errno.ENOENT);
        sys.expect(SetDirtyTracking.REQUEST, (s, m) -> {
            assertThat(m.armedNth()).isEqualTo(1);
            m.fire();
            return Errno.ENOENT.number();
        });
        assertThatThrownBy(() -> backend.setDirtyTracking(6, true)).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    @DisplayName("failPoint arms the given fault point whatever errno it gives; clearFaults drops pending faults")
    void failPointAndClear() {
        faults.failPoint(BackendOp.IOAS_ALLOC, 1, 2);
        sys.expect(IoasAlloc.REQUEST, (s, m) -> {
            assertThat(m.armedNth()).isEqualTo(2);
            s.putInt(IoasAlloc.OFF_OUT_IOAS_ID, 4);
            return 0;
        });
        backend.ioasAlloc();
        faults.failPoint(BackendOp.IOAS_ALLOC, 1, 1);
        faults.clearFaults();
        sys.expect(IoasAlloc.REQUEST, (s, m) -> {
            assertThat(m.armedNth()).isZero();
            s.putInt(IoasAlloc.OFF_OUT_IOAS_ID, 5);
            return 0;
        });
        backend.ioasAlloc();
        assertThatThrownBy(() -> faults.failPoint(BackendOp.IOAS_ALLOC, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("a fault aimed at a call that fails before its ioctl is used up and noted as not made")
    void aFaultOnACallThatNeverReachesTheKernelIsNotMade() {
        faults.failNth(BackendOp.ATTACH, 1, Errno.ENOMEM);
        assertThatThrownBy(() -> backend.attach(77, 4)).as("no such device: the backend's own ENOENT")
                .isInstanceOfSatisfying(IommufdException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        assertThat(faults.shots()).singleElement().satisfies(s -> assertThat(s.made()).isFalse());
        faults.failPoint(BackendOp.DETACH, 1, 1);
        assertThatThrownBy(() -> backend.detach(77)).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        assertThat(faults.shots()).hasSize(2).last().satisfies(s -> assertThat(s.made()).isFalse());
        assertThat(sys.armedCalls()).isEmpty();
    }

    @Test
    @DisplayName("each calling thread arms through a fail-nth file it opened itself")
    void eachThreadHasItsOwnFile() throws InterruptedException {
        faults.failNth(BackendOp.IOAS_ALLOC, 1, Errno.ENOMEM);
        sys.expect(IoasAlloc.REQUEST, (s, m) -> {
            m.fire();
            return Errno.ENOMEM.number();
        });
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                backend.ioasAlloc();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "other");
        t.start();
        t.join();
        assertThat(thrown.get()).isInstanceOf(IommufdException.class);
        assertThat(sys.failNthFiles()).hasSize(2);
        assertThat(sys.armedCalls()).singleElement().satisfies(c -> assertThat(c.file().owner()).isSameAs(t));
    }

    @Test
    @DisplayName("what the measured table gives is accepted: IOAS_MAP/GET_DIRTY_BITMAP/BIND ENOMEM, ATTACH EINVAL of a mock device")
    void whatTheKernelCanMakeIsAccepted() {
        FaultInjection f = backend.faultInjection().orElseThrow();
        for (Object[] c : List.of(new Object[] {BackendOp.IOAS_MAP, Errno.ENOMEM}, new Object[] {BackendOp.GET_DIRTY_BITMAP, Errno.ENOMEM},
                new Object[] {BackendOp.BIND, Errno.ENOMEM}, new Object[] {BackendOp.ATTACH, Errno.EINVAL},
                new Object[] {BackendOp.HWPT_ALLOC, Errno.EINVAL}, new Object[] {BackendOp.GET_HW_INFO, Errno.ENOMEM})) {
            f.failNth((BackendOp) c[0], 1, (Errno) c[1]);
        }
        f.clearFaults();
        assertThatThrownBy(() -> f.failNth(BackendOp.BIND, 1, Errno.EINVAL)).as("device creation's EINVAL moves with the kernel's state")
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
