package io.github.iommufd4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FlagSet;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.HwCap;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.backend.mock.MockBackend;
import io.github.iommufd4j.core.DeviceConfig;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.core.VfioIommufd;
import io.github.iommufd4j.testkit.Invariants;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The invariant checks themselves: each one reports a state broken on purpose, and none reports a sound one. */
class InvariantsTest {
    static {
        QuietLogs.on();
    }

    static final IommuSpec DIRTY = IommuSpec.of("iommu-dirty", "default", true, true);
    static final IommuSpec PLAIN = IommuSpec.of("iommu-plain", "default", false, true);

    final MockBackend mock = new MockBackend();

    @AfterEach
    void close() {
        mock.close();
    }

    private VfioIommufd vmm(Invariants inv, Profile profile, UnaryOperator<IommufdBackend> between) {
        mock.createDevice(DeviceSpec.plain("a", DIRTY));
        mock.createDevice(DeviceSpec.plain("b", PLAIN));
        VfioIommufd vmm = new VfioIommufd(between.apply(inv.observe(mock)), profile, 4096);
        vmm.mapMemory(0x1000000, 0x400000);
        return vmm;
    }

    private List<String> check(Invariants inv, VfioIommufd vmm) {
        return inv.check(vmm.snapshot(), mock);
    }

    @Test
    @DisplayName("Q-ATT-5: a sound heterogeneous attach and detach violates nothing, and leaves the backend empty")
    void soundRunHasNoViolation() {
        Invariants inv = new Invariants(Profile.QEMU_9_1);
        VfioIommufd vmm = vmm(inv, Profile.QEMU_9_1, b -> b);
        vmm.attach(DeviceConfig.of("a"));
        vmm.attach(DeviceConfig.of("b"));
        assertThat(check(inv, vmm)).isEmpty();
        vmm.detach("a");
        vmm.detach("b");
        assertThat(check(inv, vmm)).isEmpty();
        assertThat(inv.checkEmpty(mock)).isEmpty();
    }

    @Test
    void anObjectMadeBehindTheVmmsBackIsUnknown() {
        Invariants inv = new Invariants(Profile.QEMU_9_1);
        VfioIommufd vmm = vmm(inv, Profile.QEMU_9_1, b -> b);
        vmm.attach(DeviceConfig.of("a"));
        int stray = mock.ioasAlloc();
        assertThat(check(inv, vmm)).singleElement().asString()
                .startsWith("INV-UNKNOWN").contains("IOAS " + stray);
        vmm.detach("a");
        assertThat(inv.checkEmpty(mock)).singleElement().asString().startsWith("INV-EMPTY").contains("IOAS " + stray);
    }

    @Test
    void aHwptDestroyedBehindTheVmmsBackIsNotAlive() {
        Invariants inv = new Invariants(Profile.QEMU_9_1);
        VfioIommufd vmm = vmm(inv, Profile.QEMU_9_1, b -> b);
        vmm.attach(DeviceConfig.of("a"));
        int hwpt = vmm.snapshot().device("a").hwptId();
        mock.detach(vmm.devId("a"));
        mock.destroy(hwpt);
        assertThat(check(inv, vmm)).singleElement().asString().startsWith("INV-ALIVE").contains("HWPT " + hwpt);
    }

    @Test
    void aDeviceBoundBehindTheVmmsBackIsCounted() {
        Invariants inv = new Invariants(Profile.QEMU_9_1);
        VfioIommufd vmm = vmm(inv, Profile.QEMU_9_1, b -> b);
        vmm.attach(DeviceConfig.of("a"));
        mock.bind("b");
        assertThat(check(inv, vmm)).singleElement().asString()
                .isEqualTo("INV-UNKNOWN: the backend holds 2 bound device(s), the VMM has 1 attached");
    }

    @Test
    @DisplayName("Q-ATT-3: a HWPT allocated without DIRTY_TRACKING for a dirty-capable IOMMU is reported")
    void qAtt3_flagsThatDisagreeWithTheReportedCapabilityAreReported() {
        Invariants inv = new Invariants(Profile.QEMU_9_1);
        // The VMM is told the IOMMU has no dirty tracking; the observer saw the truth.
        VfioIommufd vmm = vmm(inv, Profile.QEMU_9_1, InvariantsTest::hidingDirtyCapability);
        vmm.attach(DeviceConfig.of("a"));
        assertThat(check(inv, vmm)).singleElement().asString().startsWith("INV-FLAGS")
                .contains("DIRTY_TRACKING=false").contains("reported dirty tracking=true");
    }

    @Test
    @DisplayName("Q-DET-3: the sticky dirty_pages_supported of qemu-9.1 violates the live rule, and the live value the sticky one")
    void qDet3_stickyAndLiveDirtyPagesSupportedAreTold() {
        Invariants live = new Invariants(Profile.SAFE);
        VfioIommufd qemu = vmm(live, Profile.QEMU_9_1, b -> b);
        qemu.attach(DeviceConfig.of("a"));
        qemu.attach(DeviceConfig.of("b"));
        qemu.detach("a");
        assertThat(check(live, qemu)).singleElement().asString().startsWith("INV-DPS")
                .contains("dirty_pages_supported=true");
    }

    @Test
    @DisplayName("Q-DET-2: a failed DETACH leaves an orphan HWPT and IOAS, reported as INV-LEAK, not INV-UNKNOWN")
    void qDet2_orphansAfterAFailedDetachAreLeaksNotUnknown() {
        Invariants inv = new Invariants(Profile.QEMU_9_1);
        VfioIommufd vmm = vmm(inv, Profile.QEMU_9_1, b -> b);
        vmm.attach(DeviceConfig.of("a"));
        mock.failNth(BackendOp.DETACH, 1, Errno.ENOMEM);
        vmm.detach("a");
        List<String> v = check(inv, vmm);
        assertThat(v).singleElement().asString().startsWith("INV-LEAK").contains("HWPT").contains("IOAS");
        assertThat(inv.checkEmpty(mock)).singleElement().asString().startsWith("INV-LEAK");
    }

    /** A backend that reports every IOMMU without the dirty tracking capability. */
    private static IommufdBackend hidingDirtyCapability(IommufdBackend real) {
        return (IommufdBackend) Proxy.newProxyInstance(IommufdBackend.class.getClassLoader(),
                new Class<?>[] {IommufdBackend.class}, (proxy, method, args) -> {
                    try {
                        Object r = method.invoke(real, args);
                        if (r instanceof HostIommuDevice h) {
                            return new HostIommuDevice(h.deviceName(), h.hwInfoTypeCode(), FlagSet.none(HwCap.class),
                                    h.vendorData());
                        }
                        return r;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
