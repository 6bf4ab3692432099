package io.github.iommufd4j.qemulab;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * (d) Migrations to {@code exec:cat > /dev/null} from a paused VM: with IOMMU dirty tracking, and with device DMA
 * logging; a device write injected while tracking runs is reported by the next sync.
 */
class MigrationLabIT {

    @BeforeEach
    void lab() {
        Lab.installation();
    }

    /** One sync: a query per RAM/ROM section, ascending, in the HWPT given. */
    private static List<String> iommuSync(int hwpt, String dirtyAt0x100000) {
        List<String> out = new ArrayList<>();
        for (String map : RealizeLabIT.MAPS_128M) {
            String iova = map.replaceAll(".*iova (0x[0-9a-f]+),.*", "$1");
            String length = map.replaceAll(".*length (0x[0-9a-f]+),.*", "$1");
            String pages = iova.equals("0x100000") ? dirtyAt0x100000 : "0";
            out.add("GET_DIRTY_BITMAP(hwptId " + hwpt + ", iova " + iova + ", length " + length
                    + ", pageSize 4096, noClear false, outDirtyPages " + pages + ") = ok");
        }
        return out;
    }

    /**
     * Checks the calls of a migration: {@code head}, then whole syncs (one query per section, ascending) until the
     * device states; the first sync reports {@code firstSyncPages} at the section at {@code dirtySection}, every
     * later one nothing. Returns the number of syncs: 2 (setup and completion) on an idle machine, one more when the
     * migration is slow enough for QEMU's bandwidth estimate to ask for the exact pending size midway (measured: 3 on
     * a loaded machine), so the count is not asserted beyond "at least 2".
     */
    private static int checkSyncs(List<String> calls, List<String> head, java.util.function.IntFunction<List<String>> sync,
                                  List<String> tail) {
        assertThat(calls.subList(0, head.size())).containsExactlyElementsOf(head);
        assertThat(calls.subList(calls.size() - tail.size(), calls.size())).containsExactlyElementsOf(tail);
        List<String> middle = calls.subList(head.size(), calls.size() - tail.size());
        int perSync = sync.apply(0).size();
        assertThat(middle.size() % perSync).as("whole syncs of %d queries: %s", perSync, middle).isZero();
        int syncs = middle.size() / perSync;
        assertThat(syncs).as("syncs").isGreaterThanOrEqualTo(2);
        for (int i = 0; i < syncs; i++) {
            assertThat(middle.subList(i * perSync, (i + 1) * perSync)).as("sync %d", i + 1)
                    .containsExactlyElementsOf(sync.apply(i));
        }
        return syncs;
    }

    @Test
    void iommuDirtyTrackingFromAPausedVm() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 3)), "vf0")) {
            // vf0 writes 3 pages at 1 MiB + 8 KiB as soon as tracking is on: the first sync must report them.
            s.kernel().onEntry(e -> e.toString().startsWith("SET_DIRTY_TRACKING(hwptId 3, enable true)"),
                    e -> s.dma("vf0", 0x102000, 0x3000), true);
            assertThat(s.blockers()).isEmpty();
            LabSession.MigrationOutcome m = s.migrate();
            Lab.print("migration with IOMMU dirty tracking: " + m.status(), m.entries());
            assertThat(m.completed()).as("status %s, error %s", m.status(), m.error()).isTrue();

            int syncs = checkSyncs(Lab.callsAndStates(m.entries()),
                    List.of("SET_DIRTY_TRACKING(hwptId 3, enable true) = ok"),
                    i -> iommuSync(3, i == 0 ? "3" : "0"),               // setup sync, [midway], stop-copy sync
                    List.of("MIG_DEVICE_STATE(devId 1, device vf0, from RUNNING, to STOP_COPY) = ok",
                            "MIG_DEVICE_STATE(devId 1, device vf0, from STOP_COPY, to STOP) = ok"));
            // MIG_DATA_SIZE (the device's pending-size estimate) follows each sync but the last.
            assertThat(m.entries().stream().filter(e -> e.op().equals("MIG_DATA_SIZE"))).hasSize(syncs - 1);
            assertThat(m.entries().stream().map(LabEntry::op).filter(op -> op.equals("MIG_DATA_SIZE")
                    || op.equals("GET_DIRTY_BITMAP")).toList().indexOf("MIG_DATA_SIZE")).isEqualTo(5);
            assertThat(s.runState()).isEqualTo("postmigrate");

            // The tracking stop was postponed: it comes when the VM runs again.
            LabSession.StepOutcome cont = s.cont();
            Lab.print("cont after the migration", cont.entries());
            assertThat(Lab.callsAndStates(cont.entries())).containsExactly(
                    "MIG_DEVICE_STATE(devId 1, device vf0, from STOP, to RUNNING_P2P) = ok",
                    "SET_DIRTY_TRACKING(hwptId 3, enable false) = ok",
                    "MIG_DEVICE_STATE(devId 1, device vf0, from RUNNING_P2P, to RUNNING) = ok");
            assertThat(s.runState()).isEqualTo("running");
            assertThat(Lab.errors(s)).isEmpty();
        }
    }

    @Test
    void deviceDmaLoggingWhenEveryDeviceHasIt() {
        try (LabSession s = Lab.start(List.of(LabDevice.of("vf0", Lab.DIRTY, 3).withVfDirtyTracking(true)), "vf0")) {
            assertThat(s.log().entries()).anyMatch(e -> e.toString()
                    .equals("DMA_LOGGING_PROBE(devId 1, device vf0, feature 6) = ok"));
            s.kernel().onEntry(e -> e.op().equals("DMA_LOGGING_START") && e.ok(), e -> s.dma("vf0", 0x0, 0x1000), true);
            LabSession.MigrationOutcome m = s.migrate();
            Lab.print("migration with device DMA logging: " + m.status(), m.entries());
            assertThat(m.completed()).as("status %s, error %s", m.status(), m.error()).isTrue();

            // One start with QEMU's range (here one: from 0 to the end of the firmware at 4 GiB), then the syncs.
            checkSyncs(Lab.callsAndStates(m.entries()),
                    List.of("DMA_LOGGING_START(devId 1, ranges 1, pageSize 4096, rangeList [[0x0, +0x100000000)]) = ok"),
                    i -> {
                        List<String> out = new ArrayList<>();
                        for (String map : RealizeLabIT.MAPS_128M) {
                            String iova = map.replaceAll(".*iova (0x[0-9a-f]+),.*", "$1");
                            String length = map.replaceAll(".*length (0x[0-9a-f]+),.*", "$1");
                            out.add("DMA_LOGGING_REPORT(devId 1, iova " + iova + ", length " + length + ", pageSize 4096, "
                                    + "outDirtyPages " + (i == 0 && iova.equals("0x0") ? 1 : 0) + ") = ok");
                        }
                        return out;
                    },
                    List.of("MIG_DEVICE_STATE(devId 1, device vf0, from RUNNING, to STOP_COPY) = ok",
                            "MIG_DEVICE_STATE(devId 1, device vf0, from STOP_COPY, to STOP) = ok"));
            // The dirty-tracking HWPT stays idle: the device tracker is used.
            assertThat(Lab.calls(m.entries())).noneMatch(c -> c.startsWith("SET_DIRTY_TRACKING"));

            LabSession.StepOutcome cont = s.cont();
            assertThat(Lab.callsAndStates(cont.entries())).containsExactly(
                    "MIG_DEVICE_STATE(devId 1, device vf0, from STOP, to RUNNING_P2P) = ok",
                    "DMA_LOGGING_STOP(devId 1) = ok",
                    "MIG_DEVICE_STATE(devId 1, device vf0, from RUNNING_P2P, to RUNNING) = ok");
            assertThat(Lab.errors(s)).isEmpty();
        }
    }
}
