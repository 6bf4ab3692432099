package io.github.iommufd4j.qemulab;

import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kernel server's protocol and decoding, with no QEMU: lines as the library sends them. */
class LabKernelTest {
    @TempDir
    Path dir;

    private IommufdBackend mock;
    private LabLog log;
    private LabKernel kernel;

    @BeforeEach
    void setUp() {
        mock = IommufdBackends.provider("mock").open(BackendOptions.empty());
        mock.provisioning().orElseThrow().createDevice(LabDevice.of("vf0", Lab.DIRTY, 3).spec());
        mock.provisioning().orElseThrow().createDevice(LabDevice.of("vf1", Lab.PLAIN, 4).withMigration(false).spec());
        mock.provisioning().orElseThrow().createDevice(LabDevice.of("vf2", Lab.PLAIN, 5).withVfDirtyTracking(true).spec());
        log = new LabLog();
        kernel = new LabKernel(dir.resolve("k.sock"), new RecordingLabBackend(mock, log), log,
                Map.of(Lab.DIRTY.id(), Lab.DIRTY, Lab.PLAIN.id(), Lab.PLAIN));
    }

    @AfterEach
    void tearDown() {
        kernel.close();
        mock.close();
    }

    /** vf0 bound (1), IOAS 2, dirty HWPT 3, attached, and the RAM below 1 MiB mapped. */
    private void realizeVf0() {
        assertThat(kernel.handleLine("Q BIND fd=31 name=vf0")).isEqualTo("ok devid=1");
        assertThat(kernel.handleLine("Q IOAS_ALLOC flags=0")).isEqualTo("ok id=2");
        assertThat(kernel.handleLine("Q HWPT_ALLOC flags=2 dev=1 pt=2 reserved=0 data_type=0 data_len=0 fault_id=0"))
                .isEqualTo("ok id=3");
        assertThat(kernel.handleLine("Q ATTACH dev=1 pt=3")).isEqualTo("ok pt=3");
        assertThat(kernel.handleLine("Q IOAS_MAP ioas=2 flags=7 reserved=0 va=0x7f0000000000 iova=0x0 length=0xa0000"))
                .isEqualTo("ok");
    }

    @Test
    void realizeCallsReachTheBackendAndAreRecordedInOrder() {
        realizeVf0();
        assertThat(kernel.handleLine("Q GET_HW_INFO flags=0 dev=1 data_len=24 reserved=0"))
                .isEqualTo("ok type=0xfeedbeef caps=0x1 data=00000000efbeadde");
        assertThat(kernel.handleLine("Q IOAS_MAP ioas=2 flags=5 reserved=0 va=0x1 iova=0xc0000 length=0x20000")).isEqualTo("ok");
        assertThat(Lab.calls(log.entries())).containsExactly(
                "BIND(device vf0, outDevId 1) = ok",
                "IOAS_ALLOC(outIoasId 2) = ok",
                "HWPT_ALLOC(devId 1, ptId 2, outHwptId 3, [DIRTY_TRACKING]) = ok",
                "ATTACH(devId 1, ptId 3) = ok",
                "IOAS_MAP(ioasId 2, iova 0x0, length 0xa0000, readOnly false) = ok",
                "GET_HW_INFO(devId 1) = ok",
                "IOAS_MAP(ioasId 2, iova 0xc0000, length 0x20000, readOnly true) = ok");
        assertThat(kernel.devId("vf0")).isEqualTo(1);
        assertThat(kernel.deviceName(1)).isEqualTo("vf0");
    }

    @Test
    void backendErrnosGoBackAsNumbersAndAreRecorded() {
        realizeVf0();
        assertThat(kernel.handleLine("Q BIND fd=32 name=vf1")).isEqualTo("ok devid=4");
        assertThat(kernel.handleLine("Q ATTACH dev=4 pt=3")).isEqualTo("err 22");          // K-ATT-2
        assertThat(kernel.handleLine("Q ATTACH dev=4 pt=9")).isEqualTo("err 2");           // K-ATT-1
        assertThat(kernel.handleLine("Q DESTROY id=2")).isEqualTo("err 16");               // K-DES-2
        assertThat(Lab.calls(log.entries())).endsWith("ATTACH(devId 4, ptId 3) = EINVAL", "ATTACH(devId 4, ptId 9) = ENOENT",
                "DESTROY(id 2) = EBUSY");
    }

    @Test
    void fieldChecksTheBackendCannotCarryAreMadeHereAndRecordedAsKernelAnswers() {
        assertThat(kernel.handleLine("Q IOAS_ALLOC flags=1")).isEqualTo("err 95");
        realizeVf0();
        assertThat(kernel.handleLine("Q HWPT_ALLOC flags=0 dev=1 pt=2 reserved=0 data_type=1 data_len=0 fault_id=0"))
                .isEqualTo("err 22");
        assertThat(kernel.handleLine("Q IOAS_MAP ioas=2 flags=6 reserved=0 va=0x1 iova=0x200000 length=0x1000"))
                .isEqualTo("err 95");                                                       // no FIXED_IOVA
        assertThat(kernel.handleLine("Q SET_DIRTY_TRACKING hwpt=3 flags=2")).isEqualTo("err 95");
        assertThat(LabLog.ofKind(log.entries(), LabEntry.Kind.KERNEL)).extracting(LabEntry::op)
                .containsExactly("IOAS_ALLOC", "HWPT_ALLOC", "IOAS_MAP", "SET_DIRTY_TRACKING");
        assertThat(Lab.calls(log.entries())).noneMatch(c -> c.contains("flags 6") || c.startsWith("SET_DIRTY_TRACKING"));
    }

    @Test
    void iovaRangesAreTheApertureOfTheIoasDomainsWithTheirAlignment() {
        realizeVf0();
        assertThat(kernel.handleLine("Q IOVA_RANGES ioas=2 num=0 reserved=0"))
                .isEqualTo("ok align=4096 ranges=0x0:0xffffffffffffffff"); // IommuSpec.of: the whole 64-bit space
        assertThat(kernel.handleLine("Q IOVA_RANGES ioas=7 num=0 reserved=0")).isEqualTo("err 2");
        assertThat(log.entries()).filteredOn(e -> e.op().equals("IOVA_RANGES")).extracting(LabEntry::result)
                .containsExactly("EMSGSIZE", "ENOENT");
    }

    @Test
    void dirtyBitmapComesBackAsRunsOfTheRequestedRange() {
        realizeVf0();
        assertThat(kernel.handleLine("Q SET_DIRTY_TRACKING hwpt=3 flags=1")).isEqualTo("ok");
        mock.dmaSimulation().orElseThrow().dmaWrite(1, 0x2000, 0x3000);
        mock.dmaSimulation().orElseThrow().dmaWrite(1, 0x9000, 0x1000);
        assertThat(kernel.handleLine("Q GET_DIRTY_BITMAP hwpt=3 flags=0 reserved=0 iova=0x0 length=0xa0000 page=0x1000"))
                .isEqualTo("ok runs=2:3,9:1");
        assertThat(kernel.handleLine("Q GET_DIRTY_BITMAP hwpt=3 flags=0 reserved=0 iova=0x0 length=0xa0000 page=0x1000"))
                .isEqualTo("ok");                                                           // read and cleared
        assertThat(Lab.calls(log.entries())).contains(
                "GET_DIRTY_BITMAP(hwptId 3, iova 0x0, length 0xa0000, pageSize 4096, noClear false, outDirtyPages 4, outRuns 2:3,9:1) = ok",
                "GET_DIRTY_BITMAP(hwptId 3, iova 0x0, length 0xa0000, pageSize 4096, noClear false, outDirtyPages 0) = ok");
    }

    @Test
    void aRequestHookRunsOnceBeforeTheFirstMatchingRequestIsAnswered() {
        realizeVf0();
        assertThat(kernel.handleLine("Q SET_DIRTY_TRACKING hwpt=3 flags=1")).isEqualTo("ok");
        int[] ran = {0};
        kernel.beforeRequest(op -> op.equals("GET_DIRTY_BITMAP"), () -> {
            ran[0]++;
            mock.dmaSimulation().orElseThrow().dmaWrite(1, 0x1000, 0x1000);
        });
        Runnable removed = kernel.beforeRequest(op -> op.equals("DESTROY"), () -> ran[0] += 100);
        removed.run();
        assertThat(kernel.handleLine("Q GET_DIRTY_BITMAP hwpt=3 flags=0 reserved=0 iova=0x0 length=0xa0000 page=0x1000"))
                .as("the write made by the hook is in the answer").isEqualTo("ok runs=1:1");
        assertThat(kernel.handleLine("Q GET_DIRTY_BITMAP hwpt=3 flags=0 reserved=0 iova=0x0 length=0xa0000 page=0x1000"))
                .isEqualTo("ok");
        assertThat(kernel.handleLine("Q DESTROY id=3")).startsWith("err");
        assertThat(ran[0]).isEqualTo(1);
    }

    @Test
    void deviceFeaturesAreAnsweredFromWhatTheDeviceSupports() {
        realizeVf0();
        assertThat(kernel.handleLine("Q MIGRATION dev=1 get=1 set=0 probe=0")).isEqualTo("ok flags=3");
        assertThat(kernel.handleLine("Q DMA_LOGGING_PROBE dev=1 feature=6 get=0 set=0")).isEqualTo("err 25");
        assertThat(kernel.handleLine("Q MIG_DATA_SIZE dev=1 get=1 set=0 probe=0")).isEqualTo("ok length=4096");
        kernel.setMigDataSize("vf0", 0);
        assertThat(kernel.handleLine("Q MIG_DATA_SIZE dev=1 get=1 set=0 probe=0")).isEqualTo("ok length=0");
        assertThat(kernel.handleLine("Q MIG_DEVICE_STATE dev=1 get=0 set=1 probe=0 from=2 to=3")).isEqualTo("ok");
        assertThat(kernel.handleLine("Q BIND fd=32 name=vf1")).isEqualTo("ok devid=4");
        assertThat(kernel.handleLine("Q MIGRATION dev=4 get=1 set=0 probe=0")).isEqualTo("err 25");
        assertThat(kernel.handleLine("Q BIND fd=33 name=vf2")).isEqualTo("ok devid=5");
        assertThat(kernel.handleLine("Q DMA_LOGGING_PROBE dev=5 feature=6 get=0 set=0")).isEqualTo("ok");
        assertThat(log.entries()).filteredOn(e -> e.op().equals("MIG_DEVICE_STATE")).extracting(LabEntry::toString)
                .containsExactly("MIG_DEVICE_STATE(devId 1, device vf0, from RUNNING, to STOP_COPY) = ok");
    }

    @Test
    void dmaLoggingStartDecodesTheRangesAndReportComesBackAsRuns() {
        assertThat(kernel.handleLine("Q BIND fd=33 name=vf2")).isEqualTo("ok devid=1");
        assertThat(kernel.handleLine("Q IOAS_ALLOC flags=0")).isEqualTo("ok id=2");
        assertThat(kernel.handleLine("Q HWPT_ALLOC flags=0 dev=1 pt=2 reserved=0 data_type=0 data_len=0 fault_id=0"))
                .isEqualTo("ok id=3");
        assertThat(kernel.handleLine("Q ATTACH dev=1 pt=3")).isEqualTo("ok pt=3");
        assertThat(kernel.handleLine("Q IOAS_MAP ioas=2 flags=7 reserved=0 va=0x1 iova=0x0 length=0x100000")).isEqualTo("ok");
        assertThat(kernel.handleLine("Q DMA_LOGGING_START dev=1 page=0x1000 reserved=0 ranges=0x0:0x100000,0x200000:0x1000"))
                .isEqualTo("ok page=4096");
        mock.dmaSimulation().orElseThrow().dmaWrite(1, 0x5000, 0x2000);
        assertThat(kernel.handleLine("Q DMA_LOGGING_REPORT dev=1 iova=0x0 length=0x100000 page=0x1000")).isEqualTo("ok runs=5:2");
        assertThat(Lab.calls(log.entries())).contains(
                "DMA_LOGGING_START(devId 1, ranges 2, pageSize 4096, rangeList [[0x0, +0x100000), [0x200000, +0x1000)]) = ok",
                "DMA_LOGGING_REPORT(devId 1, iova 0x0, length 0x100000, pageSize 4096, outDirtyPages 2, outRuns 5:2) = ok");
    }

    @Test
    void eventsAreAcknowledgedAndNamedAfterTheDevice() {
        realizeVf0();
        assertThat(kernel.handleLine("E RESET dev=1")).isEqualTo("ok");
        assertThat(kernel.handleLine("E UNKNOWN_IOCTL fd=31 dev=1 req=0x3b70")).isEqualTo("ok");
        List<LabEntry> last = log.since(log.mark() - 2);
        assertThat(last).extracting(LabEntry::toString).containsExactly("RESET(devId 1, device vf0) = ok",
                "UNKNOWN_IOCTL(fd 31, devId 1, device vf0, req 0x3b70) = ok");
        assertThat(last).extracting(LabEntry::kind).containsExactly(LabEntry.Kind.KERNEL, LabEntry.Kind.ERROR);
    }

    @Test
    void malformedLinesAreErrorsWithEio() {
        assertThat(kernel.handleLine("X what")).isEqualTo("err 5");
        assertThat(kernel.handleLine("Q BIND name")).isEqualTo("err 5");
        assertThat(kernel.handleLine("Q NOSUCH a=1")).isEqualTo("err 25");
        assertThat(kernel.handleLine("Q ATTACH dev=1")).isEqualTo("err 5");                // a missing field
        assertThat(LabLog.ofKind(log.entries(), LabEntry.Kind.ERROR)).extracting(LabEntry::op)
                .containsExactly("PROTOCOL", "PROTOCOL", "LAB_ERROR");
    }

    @Test
    void hooksRunAfterTheEntryAndBeforeTheAnswer() {
        realizeVf0();
        kernel.onEntry(e -> e.is(io.github.iommufd4j.api.BackendOp.SET_DIRTY_TRACKING) && e.ok(),
                e -> mock.dmaSimulation().orElseThrow().dmaWrite(1, 0x1000, 0x1000), true);
        assertThat(kernel.handleLine("Q SET_DIRTY_TRACKING hwpt=3 flags=1")).isEqualTo("ok");
        assertThat(kernel.handleLine("Q GET_DIRTY_BITMAP hwpt=3 flags=0 reserved=0 iova=0x0 length=0xa0000 page=0x1000"))
                .isEqualTo("ok runs=1:1");
        kernel.onEntry(e -> true, e -> {
            throw new IllegalStateException("boom");
        }, true);
        assertThat(kernel.handleLine("E RESET dev=1")).isEqualTo("ok");
        assertThat(LabLog.ofKind(log.entries(), LabEntry.Kind.ERROR)).extracting(LabEntry::op).containsExactly("HOOK_ERROR");
    }

    @Test
    void servesTheSocketLineByLine() throws Exception {
        kernel.start();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(kernel.socketPath()));
            LineChannel lines = new LineChannel(ch);
            lines.writeLine("E HELLO pid=42 iommufd=30 devices=1");
            assertThat(lines.readLine()).isEqualTo("ok");
            lines.writeLine("Q BIND fd=31 name=vf0");
            assertThat(lines.readLine()).isEqualTo("ok devid=1");
            lines.writeLine("Q BIND fd=31 name=vf0");
            assertThat(lines.readLine()).isEqualTo("err 22");                               // already bound
        }
        assertThat(kernel.connections()).isEqualTo(1);
        assertThat(kernel.clientPid()).isEqualTo(42);
    }

    @Test
    void devicesAndConfigsRejectWhatTheLabCannotDo() {
        assertThatThrownBy(() -> LabDevice.of("vf 0", Lab.DIRTY, 3)).hasMessageContaining("must be a QEMU id");
        assertThatThrownBy(() -> LabDevice.of("vf0", Lab.DIRTY, 16)).hasMessageContaining("PCI slot 16 is outside 3..15");
        assertThatThrownBy(() -> LabDevice.of("vf0", Lab.DIRTY, 3).withEnableMigration("yes"))
                .hasMessageContaining("enableMigration 'yes' is not on, off or auto");
        assertThatThrownBy(() -> LabConfig.of(List.of(LabDevice.of("a", Lab.DIRTY, 3), LabDevice.of("b", Lab.DIRTY, 3))))
                .hasMessageContaining("PCI slot 3 is taken twice");
        assertThatThrownBy(() -> LabConfig.of(List.of(LabDevice.of("a", Lab.DIRTY, 3))).coldPlug("z"))
                .hasMessageContaining("cold-plugged device 'z' is not among the devices");
        assertThat(LabDevice.of("a", Lab.DIRTY, 5).ejectBit()).isEqualTo(0x20);
    }
}
