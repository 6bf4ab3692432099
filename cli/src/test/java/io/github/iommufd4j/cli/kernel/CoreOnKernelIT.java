package io.github.iommufd4j.cli.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IovaRange;
import io.github.iommufd4j.api.BackendCall;
import io.github.iommufd4j.backend.linux.KernelFaults;
import io.github.iommufd4j.core.DeviceConfig;
import io.github.iommufd4j.core.Diagnostic;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.api.RecordingBackend;
import io.github.iommufd4j.core.Snapshots;
import io.github.iommufd4j.core.VfioIommufd;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * core's {@link VfioIommufd} (profile qemu-9.1, 4 KiB pages) over the {@code linux} backend on the kernel's
 * iommufd selftest mock: the attach orders of Q-ATT-5 with a NO_DIRTY mock device, heterogeneous dirty
 * capability, start/stop (Q-DT-2) and the dirty runs a sync reports after TEST_OP_DIRTY writes (Q-DT-3). Every
 * fact asserted here comes from the real kernel's answers (EINVAL for the NO_DIRTY device on the dirty HWPT,
 * the bitmap of GET_DIRTY_BITMAP). Runs in boot 1 of kernel-lab/run; skips on a host without the mock.
 */
class CoreOnKernelIT {
    private static final long PAGE = 4096;
    private static final long MEM = 0x1000000L;          // 16 MiB: the start of the mock's aperture
    private static final long MEM_LENGTH = 0x400000L;     // 4 MiB of guest RAM
    private static final String HETERO_WARNING = "IOMMU instance for device vf1 doesn't support dirty tracking";

    private IommufdBackend backend;
    private RecordingBackend recording;
    private VfioIommufd vmm;
    private final List<String> warnings = new ArrayList<>();
    private final List<IovaRange> reported = new ArrayList<>();

    @BeforeEach
    void open() {
        KernelLab.assumeSelftestKernel();
        backend = KernelLab.openLinux();
        recording = new RecordingBackend(backend);
        vmm = new VfioIommufd(recording, Profile.QEMU_9_1, PAGE);
        vmm.addDiagnosticListener(d -> {
            if (d.level() == Diagnostic.Level.WARNING) {
                warnings.add(d.text());
            }
        });
        vmm.addDirtyListener(r -> reported.add(r.range()));
        vmm.mapMemory(MEM, MEM_LENGTH);
    }

    @AfterEach
    void close() {
        if (backend != null) {
            for (String name : vmm.attachedDeviceNames()) {
                vmm.detach(name);
            }
            backend.close();
        }
    }

    /** vf0 on a dirty-capable mock IOMMU, vf1 on a NO_DIRTY one (same family: the mock has one). */
    private void makeDevices() {
        var prov = backend.provisioning().orElseThrow();
        IommuSpec dirty = prov.iommu("iommu0", IommuDef.DEFAULT_FAMILY, true, true);
        IommuSpec plain = prov.iommu("iommu1", IommuDef.DEFAULT_FAMILY, false, true);
        assertThat(prov.createDevice(DeviceSpec.plain("vf0", dirty))).isEqualTo("vf0");
        assertThat(prov.createDevice(DeviceSpec.plain("vf1", plain))).isEqualTo("vf1");
    }

    private void attach(String name) {
        vmm.attach(DeviceConfig.of(name));
    }

    private static List<String> ops(List<BackendCall> calls) {
        return calls.stream().filter(c -> c.op() != BackendOp.UNBIND).map(c -> c.op().name() + (c.op() == BackendOp.HWPT_ALLOC ? c.flags().toList().toString() : "")
                + (c.ok() ? "" : "=" + c.result().name())).toList();
    }

    private Snapshots.ContainerView onlyContainer() {
        List<Snapshots.ContainerView> cs = vmm.snapshot().containers();
        assertThat(cs).as("containers").hasSize(1);
        return cs.get(0);
    }

    private long dma(String device, long iova, long length) {
        return backend.dmaSimulation().orElseThrow().dmaWrite(vmm.devId(device), iova, length);
    }

    @Test
    @DisplayName("Q-ATT-5 first order (dirty device first): the kernel refuses vf1 on the dirty HWPT with EINVAL, vf1 gets its own HWPT and the warning")
    void qAtt5_dirtyFirst_secondDeviceGetsOwnHwptAndWarning() {
        makeDevices();
        attach("vf0");
        assertThat(ops(recording.drain())).containsExactly("BIND", "GET_HW_INFO", "IOAS_ALLOC",
                "HWPT_ALLOC[DIRTY_TRACKING]", "ATTACH", "IOAS_MAP");
        attach("vf1");
        assertThat(ops(recording.drain())).as("K-ATT-2 then Q-ATT-2/Q-ATT-3 on the real kernel")
                .containsExactly("BIND", "GET_HW_INFO", "ATTACH=EINVAL", "HWPT_ALLOC[]", "ATTACH");
        assertThat(warnings).containsExactly(HETERO_WARNING);

        Snapshots.ContainerView c = onlyContainer();
        assertThat(c.dirtyPagesSupported()).isTrue();
        assertThat(c.hwpts()).hasSize(2);
        Snapshots.HwptView newest = c.hwpts().get(0);
        Snapshots.HwptView oldest = c.hwpts().get(1);
        assertThat(newest.flags().toList()).isEmpty();
        assertThat(newest.devices()).containsExactly("vf1");
        assertThat(oldest.flags().toList()).containsExactly(HwptAllocFlag.DIRTY_TRACKING);
        assertThat(oldest.devices()).containsExactly("vf0");
        assertThat(newest.id()).isNotEqualTo(oldest.id());
        Snapshots.Topology t = vmm.snapshot();
        assertThat(t.device("vf0").iommuDirtyTracking()).isTrue();
        assertThat(t.device("vf1").iommuDirtyTracking()).isFalse();
        assertThat(t.device("vf0").hwptId()).isEqualTo(oldest.id());
        assertThat(t.device("vf1").hwptId()).isEqualTo(newest.id());
        assertThat(t.device("vf0").hostIommu().supportsDirtyTracking()).as("K-HWI-3 of the mock").isTrue();
        assertThat(t.device("vf1").hostIommu().supportsDirtyTracking()).isFalse();
    }

    @Test
    @DisplayName("Q-ATT-5 second order (NO_DIRTY device first): one HWPT without DIRTY_TRACKING, shared, no warning, vf0 loses IOMMU tracking")
    void qAtt5_plainFirst_sharedPlainHwptAndNoWarning() {
        makeDevices();
        attach("vf1");
        assertThat(ops(recording.drain())).containsExactly("BIND", "GET_HW_INFO", "IOAS_ALLOC", "HWPT_ALLOC[]",
                "ATTACH", "IOAS_MAP");
        attach("vf0");
        assertThat(ops(recording.drain())).as("Q-ATT-4: vf0 reuses vf1's HWPT").containsExactly("BIND", "GET_HW_INFO", "ATTACH");
        assertThat(warnings).isEmpty();

        Snapshots.ContainerView c = onlyContainer();
        assertThat(c.dirtyPagesSupported()).isFalse();
        assertThat(c.hwpts()).hasSize(1);
        assertThat(c.hwpts().get(0).flags().toList()).isEmpty();
        assertThat(c.hwpts().get(0).devices()).containsExactly("vf0", "vf1");
        Snapshots.Topology t = vmm.snapshot();
        assertThat(t.device("vf0").iommuDirtyTracking()).isFalse();
        assertThat(t.device("vf1").iommuDirtyTracking()).isFalse();
        assertThat(t.device("vf0").migration().allowed()).isFalse();

        // Q-DT-2: no dirty-tracking HWPT, so start and stop call nothing; nothing written is ever reported
        vmm.startDirtyTracking();
        assertThat(ops(recording.drain())).isEmpty();
        assertThat(dma("vf0", MEM, 2 * PAGE)).as("TEST_OP_DIRTY is not sent to an untracked HWPT").isZero();
        VfioIommufd.SyncResult r = vmm.syncAllMemory();
        assertThat(r.failure()).isNull();
        assertThat(r.dirtyRuns()).as("perpetual dirty: the whole RAM (Q-DT-4, no tracker)")
                .containsExactly(new IovaRange(MEM, MEM_LENGTH));
        assertThat(ops(recording.drain())).isEmpty();
        vmm.stopDirtyTracking();
        assertThat(ops(recording.drain())).isEmpty();
    }

    @Test
    @DisplayName("Q-DT-2/Q-DT-3 heterogeneous: start sets only the dirty HWPT; sync reports exactly the pages vf0 wrote (TEST_OP_DIRTY); vf1's writes are lost; stop")
    void qDt3_heterogeneousStartSyncStop() {
        makeDevices();
        attach("vf0");
        attach("vf1");
        recording.drain();

        vmm.startDirtyTracking();
        assertThat(ops(recording.drain())).as("Q-DT-2: only the DIRTY_TRACKING HWPT").containsExactly("SET_DIRTY_TRACKING");
        assertThat(vmm.dirtyTrackingStarted()).isTrue();
        assertThat(onlyContainer().dirtyPagesStarted()).isTrue();

        assertThat(dma("vf0", MEM + 3 * PAGE, 2 * PAGE)).as("mock IOPTEs dirtied by vf0").isPositive();
        assertThat(dma("vf0", MEM + 0x200000, PAGE)).isPositive();
        assertThat(dma("vf1", MEM + 10 * PAGE, PAGE)).as("vf1 is on a HWPT without tracking").isZero();

        VfioIommufd.SyncResult r = vmm.syncAllMemory();
        assertThat(r.failure()).isNull();
        assertThat(ops(recording.drain())).containsExactly("GET_DIRTY_BITMAP");
        assertThat(r.dirtyRuns()).as("K-GDB-6 bits through core's runs")
                .containsExactly(new IovaRange(MEM + 3 * PAGE, 2 * PAGE), new IovaRange(MEM + 0x200000, PAGE));
        assertThat(reported).isEqualTo(r.dirtyRuns());

        VfioIommufd.SyncResult again = vmm.syncAllMemory();
        assertThat(again.dirtyRuns()).as("the first sync's read cleared the bits").isEmpty();

        vmm.stopDirtyTracking();
        assertThat(ops(recording.drain())).containsExactly("GET_DIRTY_BITMAP", "SET_DIRTY_TRACKING");
        assertThat(vmm.dirtyTrackingStarted()).isFalse();
        assertThat(onlyContainer().dirtyPagesStarted()).isFalse();
        assertThat(dma("vf0", MEM, PAGE)).as("tracking is off: the backend sends nothing").isZero();
        assertThat(vmm.syncAllMemory().dirtyRuns()).isEmpty();
        assertThat(warnings).containsExactly(HETERO_WARNING);
    }

    @Test
    @DisplayName("Q-ATT-4/Q-DT-3 homogeneous: two dirty devices share one DIRTY_TRACKING HWPT; a restart clears old bits (K-SDT-4); sync reports both devices' writes")
    void qDt3_homogeneousSharedHwpt() {
        var prov = backend.provisioning().orElseThrow();
        IommuSpec dirty = prov.iommu("iommu0", IommuDef.DEFAULT_FAMILY, true, true);
        prov.createDevice(DeviceSpec.plain("vf0", dirty));
        prov.createDevice(DeviceSpec.plain("vf2", dirty));
        attach("vf0");
        attach("vf2");
        assertThat(ops(recording.drain())).containsExactly("BIND", "GET_HW_INFO", "IOAS_ALLOC",
                "HWPT_ALLOC[DIRTY_TRACKING]", "ATTACH", "IOAS_MAP", "BIND", "GET_HW_INFO", "ATTACH");
        Snapshots.ContainerView c = onlyContainer();
        assertThat(c.hwpts()).hasSize(1);
        assertThat(c.hwpts().get(0).devices()).containsExactly("vf2", "vf0");
        assertThat(c.dirtyPagesSupported()).isTrue();
        assertThat(vmm.snapshot().device("vf2").iommuDirtyTracking()).isTrue();

        vmm.startDirtyTracking();
        dma("vf0", MEM, PAGE);
        vmm.stopDirtyTracking();
        recording.drain();
        vmm.startDirtyTracking();       // enabling again clears what was dirty before (K-SDT-4)
        assertThat(dma("vf2", MEM + MEM_LENGTH - PAGE, PAGE)).isPositive();
        assertThat(dma("vf0", MEM + PAGE, PAGE)).isPositive();
        VfioIommufd.SyncResult r = vmm.sync(MEM, MEM_LENGTH);
        assertThat(r.failure()).isNull();
        assertThat(r.dirtyRuns()).containsExactlyInAnyOrder(new IovaRange(MEM + PAGE, PAGE),
                new IovaRange(MEM + MEM_LENGTH - PAGE, PAGE));
        assertThat(ops(recording.drain())).containsExactly("SET_DIRTY_TRACKING", "GET_DIRTY_BITMAP");
        assertThat(warnings).isEmpty();
        vmm.stopDirtyTracking();
    }

    @Test
    @DisplayName("Q-DET-1 on the kernel: detaching the last device destroys the HWPT and the IOAS; the kernel then accepts a fresh container")
    void qDet1_lastDetachFreesEverything() {
        makeDevices();
        attach("vf0");
        int ioas = onlyContainer().ioasId();
        recording.drain();
        vmm.detach("vf0");
        assertThat(ops(recording.drain())).containsExactly("DETACH", "DESTROY", "IOAS_UNMAP", "DESTROY");
        assertThat(vmm.snapshot().containers()).isEmpty();
        assertThat(backend.inventory().orElseThrow().liveObjects()).as("nothing of the caller's is left but the device")
                .allSatisfy(o -> assertThat(o.type()).isEqualTo(io.github.iommufd4j.api.BackendObject.Type.DEVICE));
        attach("vf0");
        assertThat(onlyContainer().ioasId()).isPositive();
        assertThat(ops(recording.drain())).contains("IOAS_ALLOC", "HWPT_ALLOC[DIRTY_TRACKING]");
        assertThat(ioas).isPositive();
    }

    @Test
    @DisplayName("Q-ATT-9 on the kernel with an mtty mdev: BIND and ATTACH straight to vf0's IOAS, no HWPT; vf0 leaves, its HWPT goes and the IOAS stays for the mdev")
    void qAtt9_mdevJoinsTheIoasStraight() {
        makeDevices();
        var prov = backend.provisioning().orElseThrow();
        prov.createDevice(new DeviceSpec("md0", prov.iommu("iommu0", IommuDef.DEFAULT_FAMILY, true, true), true, false, true, true));
        attach("vf0");
        int ioas = onlyContainer().ioasId();
        recording.drain();
        attach("md0");
        assertThat(ops(recording.drain())).as("Q-ATT-9: no GET_HW_INFO, no HWPT search, no HWPT_ALLOC").containsExactly("BIND", "ATTACH");
        Snapshots.Topology t = vmm.snapshot();
        assertThat(t.device("md0").ioasId()).isEqualTo(ioas);
        assertThat(t.device("md0").hwptId()).isNull();
        assertThat(t.device("md0").iommuDirtyTracking()).isFalse();
        assertThat(onlyContainer().hwpts()).as("the mdev added no HWPT").hasSize(1);
        assertThat(warnings).isEmpty();
        vmm.detach("vf0");
        assertThat(ops(recording.drain())).as("Q-DET-1: vf0's HWPT is freed, the IOAS stays (the kernel would say EBUSY)")
                .containsExactly("DETACH", "DESTROY");
        assertThat(onlyContainer().devices()).containsExactly("md0");
        assertThat(onlyContainer().dirtyPagesSupported()).as("Q-DET-3: still claimed").isTrue();
        vmm.detach("md0");
        assertThat(ops(recording.drain())).containsExactly("DETACH", "IOAS_UNMAP", "DESTROY");
        assertThat(vmm.snapshot().containers()).isEmpty();
        assertThat(backend.inventory().orElseThrow().liveObjects()).as("the kernel let the IOAS go: nothing of the caller's left")
                .allSatisfy(o -> assertThat(o.type()).isEqualTo(io.github.iommufd4j.api.BackendObject.Type.DEVICE));
    }

    @Test
    @DisplayName("Q-DT-2 with a failure the kernel makes: the second container's SET_DIRTY_TRACKING fails with the kernel's ENOENT (its only fault point; ENOMEM it cannot give): both dirty HWPTs are set back")
    void qDt2_kernelMadeFailureOfTheSecondStartRollsTheFirstBack() {
        try (IommufdBackend faulty = KernelLab.openLinux(KernelLab.KERNEL_FAULTS)) {
            RecordingBackend rec = new RecordingBackend(faulty);
            VfioIommufd vm = new VfioIommufd(rec, Profile.QEMU_9_1, PAGE);
            vm.mapMemory(MEM, MEM_LENGTH);
            var prov = faulty.provisioning().orElseThrow();
            IommuSpec dirty = prov.iommu("iommu0", IommuDef.DEFAULT_FAMILY, true, true);
            prov.createDevice(DeviceSpec.plain("vf0", dirty));
            prov.createDevice(DeviceSpec.plain("vf1", dirty));
            vm.attach(DeviceConfig.of("vf0"));
            vm.attach(new DeviceConfig("vf1", "vf1", io.github.iommufd4j.core.OnOffAuto.AUTO, io.github.iommufd4j.core.OnOffAuto.ON, true));
            assertThat(vm.snapshot().containers()).as("vf1 behind a vIOMMU: a container of its own (Q-ATT-8)").hasSize(2);
            int h0 = vm.snapshot().device("vf0").hwptId();
            int h1 = vm.snapshot().device("vf1").hwptId();
            rec.drain();
            KernelFaults faults = (KernelFaults) faulty.faultInjection().orElseThrow();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> faults.failNth(BackendOp.SET_DIRTY_TRACKING, 2,
                    io.github.iommufd4j.api.Errno.ENOMEM)).as("the kernel cannot make start-fails-halfway's ENOMEM")
                    .isInstanceOf(UnsupportedOperationException.class);
            faults.failNth(BackendOp.SET_DIRTY_TRACKING, 2, io.github.iommufd4j.api.Errno.ENOENT);
            org.assertj.core.api.Assertions.assertThatThrownBy(vm::startDirtyTracking)
                    .isInstanceOfSatisfying(io.github.iommufd4j.core.VfioException.class, e -> {
                        assertThat(e.errno()).isEqualTo(io.github.iommufd4j.api.Errno.ENOENT);
                        assertThat(e.qemuMessage()).contains("Could not start dirty page tracking").contains("hwpt_id " + h1);
                    });
            assertThat(faults.shots()).singleElement().satisfies(shot -> assertThat(shot.asAsked()).as("%s", shot).isTrue());
            assertThat(rec.drain().stream().map(c -> c.op() + "(" + c.arguments() + ")=" + (c.ok() ? "ok" : c.result().name())).toList())
                    .as("containers oldest first; the failed container sets its dirty HWPT back (Q-DT-2), then the one started")
                    .containsExactly("SET_DIRTY_TRACKING(hwptId " + h0 + ", enable true)=ok",
                            "SET_DIRTY_TRACKING(hwptId " + h1 + ", enable true)=ENOENT",
                            "SET_DIRTY_TRACKING(hwptId " + h1 + ", enable false)=ok",
                            "SET_DIRTY_TRACKING(hwptId " + h0 + ", enable false)=ok");
            assertThat(vm.dirtyTrackingStarted()).isFalse();
            assertThat(faulty.dmaSimulation().orElseThrow().dmaWrite(vm.devId("vf0"), MEM, PAGE))
                    .as("H0 is not tracking: the kernel marks nothing").isZero();
            vm.startDirtyTracking();
            assertThat(faulty.dmaSimulation().orElseThrow().dmaWrite(vm.devId("vf0"), MEM, PAGE)).as("after a clean start").isPositive();
            vm.stopDirtyTracking();
            for (String name : vm.attachedDeviceNames()) {
                vm.detach(name);
            }
        }
    }
}
