package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.DirtyBitmap;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code faults=kernel} on the real kernel (boot 1 of the kernel lab: selftest mock, fail-nth, failslab): every
 * (call, errno) of {@link FailNthTable} for a selftest device is made by the kernel, fires at its fault point with
 * that errno, leaves the next free id where it was, and the identical call then succeeds. What the kernel cannot
 * give is refused before any call.
 */
@Tag("kernel")
class KernelFaultsKernelIT {
    static final long IOVA = 0x1000000L;
    static final long LENGTH = 64L << 10;

    IommufdBackend backend;
    KernelFaults faults;
    DeviceProvisioning provisioning;
    IommuSpec dirty;
    int devices;

    @BeforeEach
    void open() {
        KernelTestGate.require(Files.exists(Path.of("/dev/iommu")), "/dev/iommu is missing: not a kernel with CONFIG_IOMMUFD");
        KernelTestGate.require(Files.exists(Path.of("/proc/thread-self/fail-nth")),
                "/proc/thread-self/fail-nth is missing: a kernel without CONFIG_FAULT_INJECTION");
        Availability a = new LinuxBackendProvider().availability();
        KernelTestGate.require(a.available(), "linux backend unavailable: " + a.reason());
        try {
            backend = new LinuxBackendProvider().open(BackendOptions.of(Map.of("source", "selftest", "faults", "kernel")));
        } catch (BackendUnavailableException e) {
            KernelTestGate.require(false, e.getMessage());
        }
        faults = (KernelFaults) backend.faultInjection().orElseThrow();
        provisioning = backend.provisioning().orElseThrow();
        dirty = provisioning.iommu("mock", "selftest", true, true);
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private BoundDevice newDevice() {
        return backend.bind(provisioning.createDevice(DeviceSpec.plain("dev" + devices++, dirty)));
    }

    /** The state every call below is made in: device a attached to dirty HWPT h of IOAS c, 256 KiB mapped, tracking on. */
    private record State(int dev, int ioas, int hwpt) {
    }

    private State state() {
        BoundDevice a = newDevice();
        int ioas = backend.ioasAlloc();
        int hwpt = backend.hwptAlloc(a.devId(), ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING));
        backend.attach(a.devId(), hwpt);
        backend.ioasMap(ioas, IOVA, LENGTH);
        backend.setDirtyTracking(hwpt, true);
        return new State(a.devId(), ioas, hwpt);
    }

    /** The call {@code op} in state {@code s}, and what undoes its success so the state is as before. */
    private Runnable call(BackendOp op, State s) {
        return switch (op) {
            case IOAS_ALLOC -> () -> backend.destroy(backend.ioasAlloc());
            case BIND -> () -> backend.unbind(newDevice().devId());
            case GET_HW_INFO -> () -> backend.getHwInfo(s.dev);
            case HWPT_ALLOC -> () -> backend.destroy(backend.hwptAlloc(s.dev, s.ioas, HwptAllocFlag.setOf(HwptAllocFlag.DIRTY_TRACKING)));
            case ATTACH -> () -> assertThat(backend.attach(s.dev, s.hwpt)).isEqualTo(s.hwpt); // from the parking IOAS, see prepare
            case DETACH -> () -> {
                backend.detach(s.dev);
                backend.attach(s.dev, s.hwpt);
            };
            case IOAS_MAP -> () -> {
                backend.ioasMap(s.ioas, IOVA + (4L << 20), LENGTH);
                backend.ioasUnmap(s.ioas, IOVA + (4L << 20), LENGTH);
            };
            case IOAS_UNMAP -> () -> {
                backend.ioasUnmap(s.ioas, IOVA, LENGTH);
                backend.ioasMap(s.ioas, IOVA, LENGTH);
            };
            case SET_DIRTY_TRACKING -> () -> backend.setDirtyTracking(s.hwpt, true);
            case GET_DIRTY_BITMAP -> () -> backend.getDirtyBitmap(s.hwpt, IOVA, LENGTH, 4096, false, DirtyBitmap.forRange(LENGTH, 4096));
            default -> throw new AssertionError("no call written for " + op);
        };
    }

    @TestFactory
    @DisplayName("every (call, errno) of the table for a selftest device: made by the kernel, as asked, nothing left, then the call succeeds")
    List<DynamicTest> everyTableEntryIsMadeByTheKernel() {
        List<DynamicTest> tests = new ArrayList<>();
        FailNthTable.rows(SourceKind.SELFTEST).forEach((op, row) -> row.forEach((errno, point) ->
                tests.add(DynamicTest.dynamicTest(op + " " + errno + " (fault point " + point + ")", () -> {
                    State s = state();
                    if (op == BackendOp.ATTACH) {
                        backend.detach(s.dev); // as measured: a replace from the parking IOAS onto the HWPT
                    }
                    Runnable call = call(op, s);
                    int probe = backend.ioasAlloc();
                    backend.destroy(probe); // the lowest free id (K-ID-1)
                    faults.failNth(op, 1, errno);
                    assertThatThrownBy(call::run).isInstanceOfSatisfying(IommufdException.class, e -> {
                        assertThat(e.op()).isEqualTo(op);
                        assertThat(e.errno()).as("errno of %s with fault point %d armed", op, point).isEqualTo(errno);
                        assertThat(e.getMessage()).contains("kernel-made failure");
                    });
                    KernelFaults.Shot shot = faults.shots().get(faults.shots().size() - 1);
                    assertThat(shot.asAsked()).as("shot %s", shot).isTrue();
                    assertThat(shot.point()).isEqualTo(point);
                    int next = backend.ioasAlloc();
                    assertThat(next).as("the next IOAS after %s failed with %s (id %d was the lowest free before)", op, errno, probe)
                            .isEqualTo(probe);
                    backend.destroy(next);
                    call.run(); // unarmed, the identical call succeeds
                }))));
        assertThat(tests).hasSizeGreaterThanOrEqualTo(17);
        return tests;
    }

    @Test
    @DisplayName("SET_DIRTY_TRACKING cannot fail with ENOMEM (it allocates nothing), ATTACH not with EBUSY, GET_DIRTY_BITMAP not with EIO")
    void whatTheKernelCannotMakeIsRefused() {
        assertThatThrownBy(() -> faults.failNth(BackendOp.SET_DIRTY_TRACKING, 1, Errno.ENOMEM))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("allocates nothing");
        assertThatThrownBy(() -> faults.failNth(BackendOp.ATTACH, 1, Errno.EBUSY)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> faults.failNth(BackendOp.GET_DIRTY_BITMAP, 1, Errno.EIO)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(faults.shots()).isEmpty();
    }

    @Test
    @DisplayName("a failure armed on another thread fires on that thread's call, through a fail-nth file it opened")
    void anotherThreadArmsItsOwnCalls() throws InterruptedException {
        faults.failNth(BackendOp.IOAS_ALLOC, 1, Errno.ENOMEM);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                backend.ioasAlloc();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "kernel-faults-other");
        t.start();
        t.join();
        assertThat(thrown.get()).isInstanceOfSatisfying(IommufdException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOMEM));
        assertThat(faults.shots()).singleElement().satisfies(s -> assertThat(s.asAsked()).isTrue());
        backend.destroy(backend.ioasAlloc()); // this thread's calls are not armed
    }
}
