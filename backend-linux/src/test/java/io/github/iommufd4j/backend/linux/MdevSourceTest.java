package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.backend.linux.sys.ScriptedIoctls;
import io.github.iommufd4j.backend.linux.uapi.IommuTestCmd;
import io.github.iommufd4j.backend.linux.uapi.VfioAttach;
import io.github.iommufd4j.backend.linux.uapi.VfioBind;
import io.github.iommufd4j.backend.linux.uapi.VfioDetach;
import io.github.iommufd4j.backend.linux.uapi.VfioFeature;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** mdev=mtty-1 in front of the selftest source, over a temporary sysfs tree laid out as 6.12's mtty's. */
class MdevSourceTest {
    static final int IOMMUFD = 10;
    static final int CDEV_FD = 42;

    @TempDir
    Path tmp;
    Path sysfs;
    Path typeDir;
    ScriptedIoctls sys;
    IommufdBackend backend;
    DeviceProvisioning provisioning;

    @BeforeEach
    void open() throws IOException {
        sysfs = tmp.resolve("sys");
        typeDir = sysfs.resolve("class/mdev_bus/mtty/mdev_supported_types/mtty-1");
        Files.createDirectories(typeDir);
        Files.writeString(typeDir.resolve("create"), "");
        Files.writeString(typeDir.resolve("available_instances"), "24\n");
        sys = new ScriptedIoctls();
        sys.expectErrno(IommuTestCmd.REQUEST, Errno.EOPNOTSUPP.number()); // the selftest probe
        backend = new LinuxBackendProvider(new LinuxHost(() -> sys, "/dev/iommu", sysfs, tmp.resolve("dev")))
                .open(BackendOptions.of(Map.of("source", "selftest", "mdev", "mtty-1")));
        provisioning = backend.provisioning().orElseThrow();
    }

    static DeviceSpec mdev(String name, boolean migration, boolean p2p, boolean vf) {
        return new DeviceSpec(name, SelftestSourceTest.NO_DIRTY, true, vf, migration, p2p);
    }

    /** Creates md0 and lays out what the kernel would: /sys/bus/mdev/devices/UUID/vfio-dev/vfio3. Returns the UUID. */
    private String create(DeviceSpec spec) throws IOException {
        assertThat(provisioning.createDevice(spec)).isEqualTo(spec.name());
        String uuid = Files.readString(typeDir.resolve("create"));
        assertThat(uuid).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        Path dev = sysfs.resolve("bus/mdev/devices").resolve(uuid);
        Files.createDirectories(dev.resolve("vfio-dev/vfio3"));
        Files.writeString(dev.resolve("remove"), "");
        sys.onOpen(tmp.resolve("dev/vfio3").toString(), CDEV_FD);
        return uuid;
    }

    /** BIND gives access id 1; mtty's probes: migration flags 0x7, DMA logging accepted. */
    private void scriptBind(long migrationFlags) {
        sys.expect(VfioBind.REQUEST, (s, m) -> {
            assertThat(s.getInt(VfioBind.OFF_IOMMUFD)).isEqualTo(IOMMUFD);
            s.putInt(VfioBind.OFF_OUT_DEVID, 1);
            return 0;
        });
        sys.expect(VfioFeature.REQUEST, (s, m) -> {
            s.putLong(VfioFeature.OFF_DATA + VfioFeature.MIG_OFF_FLAGS, migrationFlags);
            return 0;
        });
        sys.expect(VfioFeature.REQUEST, (s, m) -> 0);
    }

    @Test
    @DisplayName("createDevice writes a fresh UUID to the type's create; bind opens the mdev's vfioN cdev and binds it")
    void createAndBind() throws IOException {
        create(mdev("md0", true, true, false));
        scriptBind(0x7);
        BoundDevice d = backend.bind("md0");
        assertThat(d.devId()).isEqualTo(1);
        assertThat(d.mdev()).isTrue();
        assertThat(d.name()).isEqualTo("md0");
        assertThat(sys.calls().get(1).fd()).isEqualTo(CDEV_FD);
        assertThat(backend.deviceRefs()).containsExactly("md0");
        assertThat(backend.inventory().orElseThrow().liveObjects()).containsExactly(new BackendObject(BackendObject.Type.DEVICE, 1));
    }

    @Test
    @DisplayName("the spec's features are reported, hiding what the device has beyond them: mtty's DMA logging is never offered")
    void featuresAreTheSpecsWithinTheDevices() throws IOException {
        create(mdev("md0", true, false, false));
        scriptBind(0x7);
        BoundDevice d = backend.bind("md0");
        assertThat(d.features().migration()).isTrue();
        assertThat(d.features().p2p()).as("hidden: the spec has none").isFalse();
        assertThat(d.features().dmaLogging()).as("hidden: mtty's log never holds a page").isFalse();
    }

    @Test
    @DisplayName("a spec claiming P2P of a device without it is refused at bind, naming both, and the cdev is closed")
    void aClaimTheDeviceCannotBackIsRefused() throws IOException {
        create(mdev("md0", true, true, false));
        scriptBind(0x1); // STOP_COPY only
        assertThatThrownBy(() -> backend.bind("md0")).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("md0").hasMessageContaining("P2P").hasMessageContaining("does not have");
        assertThat(sys.closedFds()).containsExactly(CDEV_FD);
        assertThat(backend.inventory().orElseThrow().liveObjects()).isEmpty();
    }

    @Test
    @DisplayName("VF dirty tracking and a type with no instance left are refused by cannotCreate; other specs go to the selftest source")
    void cannotCreate() throws IOException {
        assertThat(provisioning.cannotCreate(mdev("md0", true, true, true))).get().asString().contains("VF dirty tracking");
        assertThat(provisioning.cannotCreate(mdev("md0", false, false, false))).isEmpty();
        assertThat(provisioning.cannotCreate(DeviceSpec.plain("vf0", SelftestSourceTest.DIRTY))).isEmpty();
        assertThat(provisioning.iommu("i", "f", true, true)).as("the inner source's geometry")
                .isEqualTo(SelftestSourceTest.selftestShaped("i", "f", true, true));
        Files.writeString(typeDir.resolve("available_instances"), "0\n");
        assertThat(provisioning.cannotCreate(mdev("md0", true, true, false))).get().asString().contains("available_instances is 0");
        assertThatThrownBy(() -> provisioning.createDevice(mdev("md0", true, true, false))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    @DisplayName("ATTACH of an mdev gives pt_id back unchanged and records no HWPT; DETACH; a fault ATTACH ENOMEM is refused for an mdev")
    void attachRecordsNoHwpt() throws IOException {
        create(mdev("md0", true, true, false));
        scriptBind(0x7);
        backend.bind("md0");
        sys.expect(VfioAttach.REQUEST, (s, m) -> 0); // pt_id stays 5
        assertThat(backend.attach(1, 5)).isEqualTo(5);
        assertThat(backend.inventory().orElseThrow().liveObjects()).as("no HWPT 5: it is the IOAS")
                .containsExactly(new BackendObject(BackendObject.Type.DEVICE, 1));
        assertThatThrownBy(() -> backend.dmaSimulation().orElseThrow().dmaWrite(1, 0x1000000, 0x1000))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("mdev");
        sys.expect(VfioDetach.REQUEST, (s, m) -> 0);
        backend.detach(1);
    }

    @Test
    @DisplayName("close closes the cdev first, then writes 1 to the mdev's remove")
    void closeRemovesTheMdevAfterClosingItsCdev() throws IOException {
        String uuid = create(mdev("md0", true, true, false));
        scriptBind(0x7);
        backend.bind("md0");
        backend.close();
        assertThat(sys.closedFds()).containsExactly(CDEV_FD, IOMMUFD);
        assertThat(Files.readString(sysfs.resolve("bus/mdev/devices").resolve(uuid).resolve("remove"))).isEqualTo("1");
    }

    @Test
    @DisplayName("a name in use by either source is refused; an unknown type makes the backend unavailable")
    void namesAndUnknownType() throws IOException {
        create(mdev("md0", true, true, false));
        assertThatThrownBy(() -> provisioning.createDevice(DeviceSpec.plain("md0", SelftestSourceTest.DIRTY)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("md0");
        provisioning.createDevice(DeviceSpec.plain("vf0", SelftestSourceTest.DIRTY));
        assertThatThrownBy(() -> provisioning.createDevice(mdev("vf0", true, true, false))).isInstanceOf(IllegalArgumentException.class);
        sys = new ScriptedIoctls();
        sys.expectErrno(IommuTestCmd.REQUEST, Errno.EOPNOTSUPP.number());
        assertThatThrownBy(() -> new LinuxBackendProvider(new LinuxHost(() -> sys, "/dev/iommu", sysfs, tmp.resolve("dev")))
                .open(BackendOptions.of(Map.of("source", "selftest", "mdev", "mtty-9"))))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("mtty-9").hasMessageContaining("mdev_bus");
    }

    @Test
    @DisplayName("a missing vfio-dev entry fails the bind with ENOENT and opens nothing")
    void missingCdev() throws IOException {
        provisioning.createDevice(mdev("md0", true, true, false));
        assertThatThrownBy(() -> backend.bind("md0")).isInstanceOfSatisfying(IommufdException.class, e -> {
            assertThat(e.op()).isEqualTo(BackendOp.BIND);
            assertThat(e.errno()).isEqualTo(Errno.ENOENT);
            assertThat(e.getMessage()).contains("vfio-dev");
        });
    }
}
