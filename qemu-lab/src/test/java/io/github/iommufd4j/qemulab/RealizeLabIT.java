package io.github.iommufd4j.qemulab;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** (a) What QEMU 10.0.2 does to the kernel when it realizes one dirty-capable vfio-pci device, and the memory it maps. */
class RealizeLabIT {

    @BeforeEach
    void lab() {
        Lab.installation();
    }

    /** The guest memory QEMU maps for {@code -machine pc -m 128M} with a 256 KiB firmware, paused at reset. */
    static final List<String> MAPS_128M = List.of(
            "IOAS_MAP(ioasId 2, iova 0x0, length 0xc0000, readOnly false) = ok",         // RAM below the ROMs
            "IOAS_MAP(ioasId 2, iova 0xc0000, length 0x20000, readOnly true) = ok",      // pc.rom
            "IOAS_MAP(ioasId 2, iova 0xe0000, length 0x20000, readOnly true) = ok",      // isa-bios (firmware's last 128 KiB)
            "IOAS_MAP(ioasId 2, iova 0x100000, length 0x7f00000, readOnly false) = ok",  // RAM from 1 MiB
            "IOAS_MAP(ioasId 2, iova 0xfffc0000, length 0x40000, readOnly true) = ok");  // pc.bios under 4 GiB

    @Test
    void oneDirtyCapableDeviceColdPlugged() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 3)), "vf0")) {
            List<LabEntry> all = s.log().entries();
            Lab.print("realize of one dirty-capable device (cold-plugged), " + s.timings(), all);

            List<String> expected = new java.util.ArrayList<>(List.of(
                    "BIND(device vf0, outDevId 1) = ok",
                    "GET_HW_INFO(devId 1) = ok",
                    "IOAS_ALLOC(outIoasId 2) = ok",
                    "HWPT_ALLOC(devId 1, ptId 2, outHwptId 3, [DIRTY_TRACKING]) = ok",
                    "ATTACH(devId 1, ptId 3) = ok"));
            expected.addAll(MAPS_128M);
            assertThat(Lab.calls(all)).containsExactlyElementsOf(expected);

            assertThat(Lab.kernelOps(all)).containsExactly(
                    "IOVA_RANGES", "IOVA_RANGES",                       // after ATTACH, before the maps
                    "GET_INFO",
                    "GET_REGION_INFO", "GET_REGION_INFO", "GET_REGION_INFO", "GET_REGION_INFO", "GET_REGION_INFO",
                    "GET_REGION_INFO", "GET_REGION_INFO",
                    "GET_IRQ_INFO",
                    "MIGRATION", "DMA_LOGGING_PROBE",
                    "SET_IRQS", "GET_IRQ_INFO", "SET_IRQS",
                    "RESET");
            // IOVA ranges: first asked with room for none (EMSGSIZE tells the count), then with room for it.
            List<LabEntry> ranges = all.stream().filter(e -> e.is(LabEntry.Kind.KERNEL, "IOVA_RANGES")).toList();
            assertThat(ranges).extracting(e -> e.arg("numIovas") + " " + e.result())
                    .containsExactly("0 EMSGSIZE", "1 ok");
            // Regions 0-5 (the BARs) and 7 (config space); not 6 (ROM) nor 8 (VGA).
            assertThat(all.stream().filter(e -> e.is(LabEntry.Kind.KERNEL, "GET_REGION_INFO")).map(e -> e.arg("index")))
                    .containsExactly("0", "1", "2", "3", "4", "5", "7");
            // IRQ info for ERR (3) then REQ (4), each armed with an eventfd (DATA_EVENTFD | ACTION_TRIGGER).
            assertThat(all.stream().filter(e -> e.is(LabEntry.Kind.KERNEL, "SET_IRQS"))
                    .map(e -> e.arg("index") + "/" + e.arg("flags"))).containsExactly("3/0x24", "4/0x24");
            // The first config access reads the whole 256-byte space; ROM BAR sizing writes all ones, then 0 back.
            List<LabEntry> config = all.stream().filter(e -> e.op().startsWith("CONFIG_")).toList();
            assertThat(config.get(0).toString()).isEqualTo("CONFIG_READ(devId 1, device vf0, offset 0x0, count 256) = ok");
            assertThat(config.stream().filter(e -> e.is(LabEntry.Kind.KERNEL, "CONFIG_WRITE") && "0x30".equals(e.arg("offset")))
                    .map(e -> e.arg("value")).limit(2)).containsExactly("0xfffff800", "0x0");
            assertThat(Lab.errors(s)).isEmpty();
            assertThat(s.stderr()).isEmpty();
            assertThat(s.blockers()).isEmpty();
            assertThat(s.runState()).isEqualTo("prelaunch");
        }
    }

    @Test
    void hotPluggedAloneDoesTheSameAsColdPlugged() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 3)))) {
            assertThat(Lab.calls(s.log().entries())).isEmpty();
            LabSession.StepOutcome plug = s.hotplug("vf0");
            assertThat(plug.ok()).as("device_add: %s", plug.error()).isTrue();
            List<String> expected = new java.util.ArrayList<>(List.of(
                    "BIND(device vf0, outDevId 1) = ok",
                    "GET_HW_INFO(devId 1) = ok",
                    "IOAS_ALLOC(outIoasId 2) = ok",
                    "HWPT_ALLOC(devId 1, ptId 2, outHwptId 3, [DIRTY_TRACKING]) = ok",
                    "ATTACH(devId 1, ptId 3) = ok"));
            expected.addAll(MAPS_128M);
            assertThat(Lab.calls(plug.entries())).containsExactlyElementsOf(expected);
            // A hot-plugged device is reset during device_add, like a cold-plugged one at machine reset.
            assertThat(Lab.kernelOps(plug.entries())).endsWith("RESET");
            assertThat(Lab.errors(s)).isEmpty();
        }
    }

    @Test
    void memoryAboveFourGibIsMappedAsItsOwnSection() {
        try (LabSession s = Lab.start(LabConfig.of(List.of(LabDevice.of("vf0", Lab.DIRTY, 3))).coldPlug("vf0")
                .withMemoryMiB(4096))) {
            List<String> maps = Lab.calls(s.log().entries()).stream().filter(c -> c.startsWith("IOAS_MAP")).toList();
            Lab.print("maps with -m 4096", LabLog.backendCalls(s.log().entries()));
            assertThat(maps).containsExactly(
                    "IOAS_MAP(ioasId 2, iova 0x0, length 0xc0000, readOnly false) = ok",
                    "IOAS_MAP(ioasId 2, iova 0xc0000, length 0x20000, readOnly true) = ok",
                    "IOAS_MAP(ioasId 2, iova 0xe0000, length 0x20000, readOnly true) = ok",
                    "IOAS_MAP(ioasId 2, iova 0x100000, length 0xbff00000, readOnly false) = ok",
                    "IOAS_MAP(ioasId 2, iova 0xfffc0000, length 0x40000, readOnly true) = ok",
                    "IOAS_MAP(ioasId 2, iova 0x100000000, length 0x40000000, readOnly false) = ok");
        }
    }
}
