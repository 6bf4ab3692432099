package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.backend.linux.sys.ScriptedIoctls;
import io.github.iommufd4j.backend.linux.sys.ScriptedIoctls.Call;
import io.github.iommufd4j.backend.linux.uapi.IoasAlloc;
import io.github.iommufd4j.backend.linux.uapi.IommuDestroy;
import io.github.iommufd4j.backend.linux.uapi.IommuTestCmd;
import io.github.iommufd4j.backend.linux.uapi.SetDirtyTracking;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The selftest device source through the scripted seam: mock devices, parking IOAS, replace, DIRTY. */
class SelftestSourceTest {
    static final int IOMMUFD = 10;
    static final IommuSpec DIRTY = selftestShaped("mock0", "selftest", true, true);
    static final IommuSpec NO_DIRTY = selftestShaped("mock1", "selftest", false, true);

    /** An IOMMU with the selftest mock's geometry on the scripted 4 KiB host: aperture [16 MiB, 2 GiB - 1], 2 KiB IOPTEs. */
    static IommuSpec selftestShaped(String id, String family, boolean dirtyTracking, boolean nestParent) {
        return new IommuSpec(id, family, dirtyTracking, nestParent, SelftestSource.APERTURE_START,
                SelftestSource.APERTURE_LAST, 2048);
    }

    ScriptedIoctls sys;
    IommufdBackend backend;
    DeviceProvisioning provisioning;

    @BeforeEach
    void open() {
        sys = new ScriptedIoctls();
        sys.expectErrno(IommuTestCmd.REQUEST, Errno.EOPNOTSUPP.number()); // the availability probe
        backend = new LinuxBackendProvider(new LinuxHost(() -> sys, "/dev/iommu", Path.of("/nonexistent-sys"),
                Path.of("/nonexistent-dev"))).open(BackendOptions.of(Map.of("source", "selftest")));
        provisioning = backend.provisioning().orElseThrow();
    }

    @AfterEach
    void scriptConsumed() {
        assertThat(sys.scriptDone()).as("every scripted ioctl was made").isTrue();
    }

    private Call last() {
        return sys.calls().get(sys.calls().size() - 1);
    }

    /** Binds a created device: parking IOAS 1 (first time), MOCK_DOMAIN_FLAGS gives stdev, auto hwpt, idev. */
    private BoundDevice bindNew(DeviceSpec spec, boolean firstDevice, int stdev, int autoHwpt, int idev) {
        provisioning.createDevice(spec);
        if (firstDevice) {
            sys.expect(IoasAlloc.REQUEST, (s, m) -> {
                s.putInt(IoasAlloc.OFF_OUT_IOAS_ID, 1);
                return 0;
            });
        }
        sys.expect(IommuTestCmd.REQUEST, (s, m) -> {
            s.putInt(IommuTestCmd.MD_OFF_OUT_STDEV_ID, stdev);
            s.putInt(IommuTestCmd.MD_OFF_OUT_HWPT_ID, autoHwpt);
            s.putInt(IommuTestCmd.MD_OFF_OUT_IDEV_ID, idev);
            return 0;
        });
        return backend.bind(spec.name());
    }

    @Test
    @DisplayName("the open probe sends IOMMU_TEST_CMD (0x3ba0) with an op no kernel has")
    void openProbesTheTestCommand() {
        Call probe = sys.calls().get(0);
        assertThat(probe.request()).isEqualTo(0x3ba0);
        assertThat(probe.sent()).hasSize(72);
        assertThat(probe.intAt(IommuTestCmd.OFF_OP)).isZero();
    }

    @Test
    @DisplayName("bind makes a mock device with MOCK_DOMAIN_FLAGS in the parking IOAS and returns out_idev_id")
    void bindMakesAMockDeviceInTheParkingIoas() {
        BoundDevice d = bindNew(DeviceSpec.plain("dev0", DIRTY), true, 2, 3, 4);
        assertThat(d.devId()).isEqualTo(4);
        assertThat(d.name()).isEqualTo("dev0");
        assertThat(d.iommuInstance()).isEqualTo("mock0");
        assertThat(d.features().migration()).isTrue();
        assertThat(d.features().dmaLogging()).isFalse();
        Call md = last();
        assertThat(md.request()).isEqualTo(0x3ba0);
        assertThat(md.sent()).hasSize(72);
        assertThat(md.intAt(IommuTestCmd.OFF_OP)).isEqualTo(12);
        assertThat(md.intAt(IommuTestCmd.OFF_ID)).isEqualTo(1);
        assertThat(md.intAt(IommuTestCmd.MD_OFF_DEV_FLAGS)).isZero();
        assertThat(md.intAt(IommuTestCmd.OFF_RESERVED)).isZero();
        // Neither the parking IOAS 1 nor its auto domain 3 belongs to the caller.
        assertThat(backend.inventory().orElseThrow().liveObjects()).containsExactly(new BackendObject(BackendObject.Type.DEVICE, 4));
        assertThat(backend.deviceRefs()).containsExactly("dev0");
    }

    @Test
    @DisplayName("K-ALLOC-6 an IOMMU without dirty tracking makes the device with MOCK_FLAGS_DEVICE_NO_DIRTY")
    void nonDirtyIommuSetsNoDirty() {
        bindNew(DeviceSpec.plain("dev0", NO_DIRTY), true, 2, 3, 4);
        assertThat(last().intAt(IommuTestCmd.MD_OFF_DEV_FLAGS)).isEqualTo(1);
    }

    @Test
    @DisplayName("attach is MOCK_DOMAIN_REPLACE(stdev, pt); detach replaces back to the parking IOAS; unbind destroys the stdev")
    void attachDetachUnbind() {
        bindNew(DeviceSpec.plain("dev0", DIRTY), true, 2, 3, 4);
        sys.expect(IommuTestCmd.REQUEST, (s, m) -> 0);
        assertThat(backend.attach(4, 6)).isEqualTo(6);
        Call replace = last();
        assertThat(replace.intAt(IommuTestCmd.OFF_OP)).isEqualTo(10);
        assertThat(replace.intAt(IommuTestCmd.OFF_ID)).isEqualTo(2);
        assertThat(replace.intAt(IommuTestCmd.REPLACE_OFF_PT_ID)).isEqualTo(6);
        assertThat(backend.inventory().orElseThrow().liveObjects()).contains(new BackendObject(BackendObject.Type.HWPT, 6));

        sys.expect(IommuTestCmd.REQUEST, (s, m) -> {
            s.putInt(IommuTestCmd.REPLACE_OFF_PT_ID, 3); // the kernel's new auto domain in the parking IOAS
            return 0;
        });
        backend.detach(4);
        assertThat(last().intAt(IommuTestCmd.OFF_ID)).isEqualTo(2);
        assertThat(last().intAt(IommuTestCmd.REPLACE_OFF_PT_ID)).isEqualTo(1);
        assertThat(backend.inventory().orElseThrow().liveObjects()).containsExactly(new BackendObject(BackendObject.Type.DEVICE, 4));

        sys.expect(IommuDestroy.REQUEST, (s, m) -> 0);
        backend.unbind(4);
        assertThat(last().request()).isEqualTo(0x3b80);
        assertThat(last().intAt(IommuDestroy.OFF_ID)).as("destroyed through the stdev id, never the idev id").isEqualTo(2);
        assertThat(backend.inventory().orElseThrow().liveObjects()).isEmpty();
    }

    @Test
    @DisplayName("K-ATT-2 an EINVAL replace leaves the device where it was, and the error names ATTACH")
    void failedReplaceKeepsState() {
        bindNew(DeviceSpec.plain("dev0", NO_DIRTY), true, 2, 3, 4);
        sys.expectErrno(IommuTestCmd.REQUEST, Errno.EINVAL.number());
        assertThatThrownBy(() -> backend.attach(4, 6)).isInstanceOfSatisfying(IommufdException.class, e -> {
            assertThat(e.op()).isEqualTo(BackendOp.ATTACH);
            assertThat(e.errno()).isEqualTo(Errno.EINVAL);
        });
        assertThat(backend.inventory().orElseThrow().liveObjects()).containsExactly(new BackendObject(BackendObject.Type.DEVICE, 4));
    }

    @Test
    @DisplayName("the parking IOAS is made once for all devices")
    void oneParkingIoas() {
        bindNew(DeviceSpec.plain("dev0", DIRTY), true, 2, 3, 4);
        bindNew(DeviceSpec.plain("dev1", DIRTY), false, 5, 6, 7);
        assertThat(last().intAt(IommuTestCmd.OFF_ID)).isEqualTo(1);
        assertThat(sys.calls().stream().filter(c -> c.request() == IoasAlloc.REQUEST)).hasSize(1);
    }

    @Test
    @DisplayName("dmaWrite is TEST_OP_DIRTY at the mock IOPTE size (half the host page) over the device's tracking HWPT")
    void dmaWriteMarksPagesAtTheMockIopteSize() {
        bindNew(DeviceSpec.plain("dev0", DIRTY), true, 2, 3, 4);
        sys.expect(IommuTestCmd.REQUEST, (s, m) -> 0);
        backend.attach(4, 6);
        assertThat(backend.dmaSimulation().orElseThrow().dmaWrite(4, 0x1000000L, 4096))
                .as("tracking off: nothing to mark, no call").isZero();

        sys.expect(SetDirtyTracking.REQUEST, (s, m) -> 0);
        backend.setDirtyTracking(6, true);
        sys.expect(IommuTestCmd.REQUEST, (s, m) -> {
            assertThat(s.getInt(IommuTestCmd.OFF_OP)).isEqualTo(13);
            assertThat(s.getInt(IommuTestCmd.OFF_ID)).isEqualTo(6);
            assertThat(s.getLong(IommuTestCmd.DIRTY_OFF_IOVA)).isEqualTo(0x1000000L);
            assertThat(s.getLong(IommuTestCmd.DIRTY_OFF_LENGTH)).isEqualTo(0x2000L);
            assertThat(s.getLong(IommuTestCmd.DIRTY_OFF_PAGE_SIZE)).isEqualTo(2048);
            var bits = m.region(s.getLong(IommuTestCmd.DIRTY_OFF_UPTR));
            assertThat(bits.getLong(0)).as("4 mock pages marked").isEqualTo(0b1111L);
            s.putLong(IommuTestCmd.DIRTY_OFF_OUT_NR_DIRTY, 4);
            return 0;
        });
        // 0x1000100 + 0x1e00 ends at 0x1001f00: aligned out to [0x1000000, 0x1002000).
        assertThat(backend.dmaSimulation().orElseThrow().dmaWrite(4, 0x1000100L, 0x1e00)).isEqualTo(4);
        assertThat(sys.liveRegions()).isZero();
    }

    @Test
    @DisplayName("cannotCreate refuses what the kernel mock cannot be: mdev, VF dirty tracking, a second family, the arm-smmu-v3 driver, others")
    void cannotCreateRules() {
        assertThat(provisioning.cannotCreate(DeviceSpec.plain("ok", DIRTY))).isEmpty();
        assertThat(provisioning.cannotCreate(new DeviceSpec("m", DIRTY, true, false, false, false))).get().asString().contains("mediated");
        assertThat(provisioning.cannotCreate(new DeviceSpec("v", DIRTY, false, true, true, false))).get().asString().contains("DMA logging");
        assertThat(provisioning.cannotCreate(DeviceSpec.plain("n", selftestShaped("x", "selftest", true, false))))
                .get().asString().contains("NEST_PARENT");
        assertThat(provisioning.cannotCreate(DeviceSpec.plain("a",
                new IommuSpec("x", "selftest", true, true, 0, (1L << 31) - 1, 2048)))).get().asString().contains("aperture");
        assertThat(provisioning.cannotCreate(DeviceSpec.plain("s", selftestShaped("smmu", "arm-smmu-v3", true, true))))
                .get().asString().contains("arm-smmu-v3 driver");
        assertThat(provisioning.cannotCreate(DeviceSpec.plain("p",
                new IommuSpec("x", "selftest", true, true, 1L << 24, (1L << 31) - 1, 4096)))).get().asString().contains("IOPTE");
        provisioning.createDevice(DeviceSpec.plain("first", DIRTY));
        assertThat(provisioning.cannotCreate(DeviceSpec.plain("f", selftestShaped("y", "other", true, true))))
                .get().asString().contains("second family");
        assertThatThrownBy(() -> provisioning.createDevice(DeviceSpec.plain("f", selftestShaped("y", "other", true, true))))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> provisioning.createDevice(DeviceSpec.plain("first", DIRTY)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already exists");
        assertThat(sys.calls()).as("creating specs makes no kernel call").hasSize(1);
    }

    @Test
    @DisplayName("binding an unknown name is ENOENT; a mock device has no DMA logging (ENOTTY)")
    void unknownNamesAndNoDmaLogging() {
        assertThatThrownBy(() -> backend.bind("nope")).isInstanceOfSatisfying(IommufdException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        bindNew(DeviceSpec.plain("dev0", DIRTY), true, 2, 3, 4);
        assertThatThrownBy(() -> backend.dmaLoggingStart(4, List.of(new IovaRange(0, 4096)), 4096))
                .isInstanceOfSatisfying(IommufdException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTTY));
    }

    @Test
    @DisplayName("vfLogging=declared: a spec's VF dirty tracking is accepted and reported as given; DMA logging still answers ENOTTY, saying so")
    void vfLoggingDeclared() {
        sys.expectErrno(IommuTestCmd.REQUEST, Errno.EOPNOTSUPP.number());
        backend = new LinuxBackendProvider(new LinuxHost(() -> sys, "/dev/iommu", Path.of("/nonexistent-sys"),
                Path.of("/nonexistent-dev"))).open(BackendOptions.of(Map.of("source", "selftest", "vfLogging", "declared")));
        provisioning = backend.provisioning().orElseThrow();
        DeviceSpec vf = new DeviceSpec("v", NO_DIRTY, false, true, true, true);
        assertThat(provisioning.cannotCreate(vf)).isEmpty();
        BoundDevice d = bindNew(vf, true, 2, 3, 4);
        assertThat(d.features().dmaLogging()).isTrue();
        assertThatThrownBy(() -> backend.dmaLoggingStart(4, List.of(new IovaRange(0x1000000, 4096)), 4096))
                .isInstanceOfSatisfying(IommufdException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.ENOTTY);
                    assertThat(e.getMessage()).contains("only declared");
                });
        assertThat(provisioning.cannotCreate(new DeviceSpec("m", NO_DIRTY, true, false, true, true))).as("still no mdev").isPresent();
    }

    @Test
    @DisplayName("close destroys each mock device through its stdev id, then closes /dev/iommu")
    void closeDestroysMockDevices() {
        bindNew(DeviceSpec.plain("dev0", DIRTY), true, 2, 3, 4);
        sys.expect(IommuDestroy.REQUEST, (s, m) -> 0);
        backend.close();
        assertThat(last().intAt(IommuDestroy.OFF_ID)).isEqualTo(2);
        assertThat(sys.closedFds()).containsExactly(IOMMUFD);
    }
}
