package io.github.iommufd4j.cli.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.BackendCall;
import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.RecordingBackend;
import io.github.iommufd4j.backend.linux.KernelFaults;
import io.github.iommufd4j.core.DeviceConfig;
import io.github.iommufd4j.core.Profile;
import io.github.iommufd4j.core.Snapshots;
import io.github.iommufd4j.core.VfioException;
import io.github.iommufd4j.core.VfioIommufd;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Q-ATT-10 on the real kernel: one attach through core's {@link VfioIommufd} with every fault point of every call
 * of it failed in turn by the kernel itself ({@code faults=kernel}, {@link KernelFaults#failPoint}: fail-nth N for
 * N = 1, 2, ... until the call passes fewer than N fault points). After each attempt core and the kernel must agree
 * on which objects exist, as the mock's sweep ({@code core/.../AttachRollbackSweepTest}) checks against the mock:
 *
 * <ul>
 *   <li>every object core knows (each container's IOAS and HWPTs, each attached device's id, its orphans) exists
 *       in the kernel, and the kernel holds exactly one object more per attached selftest device (its mock device
 *       object) plus the selftest source's parking IOAS: nothing core does not know about;</li>
 *   <li>after core detaches every device, the kernel holds the parking IOAS only.</li>
 * </ul>
 *
 * The kernel's side is read without touching its objects: IOAS_ALLOC hands out the lowest free id (K-ID-1), so
 * allocating IOASes until one gets an id above every id in play, and destroying them again, gives exactly the free
 * ids below that bound; the others are occupied.
 *
 * <p>Setups as in the mock's sweep: the first device (a new container: BIND, GET_HW_INFO, IOAS_ALLOC, HWPT_ALLOC,
 * ATTACH, IOAS_MAP); a NO_DIRTY device beside a dirty one (ATTACH EINVAL on the dirty HWPT, then its own HWPT);
 * a dirty device onto the existing HWPT (reuse); and an mtty mdev joining the IOAS (Q-ATT-9). BIND, a mock device's
 * creation with some 40 fault points in the same state each time, is swept in the first setup only.
 */
class AttachFailNthSweepKernelIT {
    private static final long MEM = 0x1000000L;   // the mock's aperture starts at 16 MiB
    private static final long MEM_LENGTH = 0x10000L; // 64 KiB: the pinning's fault points grow with the length
    /** Ids above any this sweep's objects get on a fresh iommufd (a handful each). */
    private static final int CENSUS_BOUND = 40;
    /** No call of one attach has this many fault points (the most measured: about 170, an IOAS_MAP of 2 MiB). */
    private static final int MAX_POINTS = 400;
    private static final List<String> SUMMARY = new ArrayList<>();

    enum Setup {
        FIRST_DEVICE("a", null),
        HETEROGENEOUS("b", "a"),
        REUSE("c", "a"),
        MDEV("md", "a");

        final String device;
        final String before;

        Setup(String device, String before) {
            this.device = device;
            this.before = before;
        }
    }

    @BeforeAll
    static void gate() {
        KernelLab.assumeSelftestKernel();
    }

    @AfterAll
    static void printSummary() throws IOException {
        if (SUMMARY.isEmpty()) {
            return;
        }
        String text = "\nfail-nth sweep of one attach on the kernel (call: fault points; outcome per N):\n"
                + String.join("\n", SUMMARY) + "\n";
        System.out.print(text);
        Path share = Path.of(System.getProperty("kernellab.out", "/tmp/kernel-lab"));
        if (Boolean.getBoolean("kernellab.guest") && Files.isDirectory(share)) {
            Files.writeString(share.resolve("attach-fail-nth-sweep.txt"), text);
        }
    }

    /** A fresh iommufd with faults=kernel, core over it, guest RAM registered and the setup's first device attached. */
    private static final class Host implements AutoCloseable {
        final IommufdBackend backend = KernelLab.openLinux(KernelLab.KERNEL_FAULTS);
        final KernelFaults faults = (KernelFaults) backend.faultInjection().orElseThrow();
        final RecordingBackend recording = new RecordingBackend(backend);
        final VfioIommufd vmm = new VfioIommufd(recording, Profile.QEMU_9_1, 4096);

        Host(Setup setup) {
            DeviceProvisioning p = backend.provisioning().orElseThrow();
            IommuSpec dirty = p.iommu("iommu0", IommuDef.DEFAULT_FAMILY, true, true);
            IommuSpec plain = p.iommu("iommu1", IommuDef.DEFAULT_FAMILY, false, true);
            p.createDevice(DeviceSpec.plain("a", dirty));
            p.createDevice(DeviceSpec.plain("b", plain));
            p.createDevice(DeviceSpec.plain("c", dirty));
            if (setup == Setup.MDEV) {
                p.createDevice(new DeviceSpec("md", plain, true, false, true, true));
            }
            vmm.mapMemory(MEM, MEM_LENGTH);
            if (setup.before != null) {
                vmm.attach(DeviceConfig.of(setup.before));
            }
            recording.drain();
        }

        @Override
        public void close() {
            backend.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Setup.class)
    void qAtt10_everyFaultPointOfEveryCallOfAnAttachLeavesCoreAndKernelAgreeing(Setup setup) {
        List<BackendCall> calls;
        try (Host clean = new Host(setup)) {
            clean.vmm.attach(DeviceConfig.of(setup.device));
            calls = clean.recording.drain().stream().filter(c -> c.op() != BackendOp.UNBIND).toList();
        }
        assertThat(calls).as("calls of a clean attach of %s", setup.device).isNotEmpty();
        Map<BackendOp, Integer> seen = new TreeMap<>();
        int attempts = 0;
        for (BackendCall call : calls) {
            BackendOp op = call.op();
            int nth = seen.merge(op, 1, Integer::sum);
            if (op == BackendOp.BIND && setup != Setup.FIRST_DEVICE && setup != Setup.MDEV) {
                continue; // the same mock device creation as in FIRST_DEVICE
            }
            List<String> outcomes = new ArrayList<>();
            int points = -1;
            for (int n = 1; n <= MAX_POINTS && points < 0; n++) {
                attempts++;
                try (Host h = new Host(setup)) {
                    h.faults.failPoint(op, nth, n);
                    boolean ok;
                    String failure = null;
                    try {
                        h.vmm.attach(DeviceConfig.of(setup.device));
                        ok = true;
                    } catch (VfioException e) {
                        ok = false;
                        failure = e.qemuMessage();
                    }
                    h.faults.clearFaults();
                    List<KernelFaults.Shot> shots = h.faults.shots();
                    assertThat(shots).as("%s %s #%d at fault point %d: the armed call was made", setup, op, nth, n).hasSize(1);
                    KernelFaults.Shot shot = shots.get(0);
                    assertThat(shot.made()).as("%s", shot).isTrue();
                    String where = setup + ", " + op + " #" + nth + " at fault point " + n + " (" + shot + ")";
                    boolean failed = shot.errno() != null;
                    boolean essential = setup == Setup.FIRST_DEVICE || op == BackendOp.BIND || op == BackendOp.GET_HW_INFO;
                    assertThat(ok).as("%s: the attach (%s)", where, failure).isEqualTo(!(failed && essential));
                    assertKernelAgreesWithCore(h, where);
                    for (String name : h.vmm.attachedDeviceNames()) {
                        h.vmm.detach(name);
                    }
                    assertThat(census(h.backend)).as("%s: the kernel's objects after core detached everything (the parking"
                            + " IOAS only)", where).hasSize(1 + h.vmm.snapshot().orphans().size());
                    outcomes.add(shot.fired() ? (failed ? shot.errno().name() : "ok") : "-");
                    if (!shot.fired()) {
                        points = n - 1;
                    }
                }
            }
            assertThat(points).as("%s %s #%d: fault points found below %d", setup, op, nth, MAX_POINTS).isPositive();
            SUMMARY.add(String.format("  %-13s %-12s #%d: %3d  %s", setup, op, nth, points,
                    String.join(" ", outcomes.subList(0, points))));
        }
        assertThat(attempts).isPositive();
    }

    /**
     * Every object core knows exists in the kernel, and the kernel holds exactly one object more per attached
     * selftest device (its mock device object) plus the parking IOAS.
     */
    private static void assertKernelAgreesWithCore(Host h, String where) {
        Snapshots.Topology t = h.vmm.snapshot();
        SortedSet<Integer> known = new TreeSet<>();
        for (Snapshots.ContainerView c : t.containers()) {
            known.add(c.ioasId());
            c.hwpts().forEach(hw -> known.add(hw.id()));
        }
        t.orphans().forEach(o -> known.add(o.id()));
        int mockDevices = 0;
        for (Snapshots.DeviceView d : t.devices()) {
            if (d.attached()) {
                known.add(h.vmm.devId(d.name()));
                mockDevices += d.mdev() ? 0 : 1;
            }
        }
        SortedSet<Integer> occupied = census(h.backend);
        assertThat(occupied).as("%s: the kernel's ids hold every object core knows %s", where, known).containsAll(known);
        assertThat(occupied).as("%s: the kernel's objects: core's %s, %d mock device object(s), the parking IOAS", where, known,
                mockDevices).hasSize(known.size() + mockDevices + 1);
        List<BackendObject> inventory = h.backend.inventory().orElseThrow().liveObjects();
        assertThat(inventory.stream().map(BackendObject::id).toList()).as("%s: the backend's inventory", where)
                .allMatch(known::contains);
    }

    /** The ids the kernel holds below {@link #CENSUS_BOUND}, read through IOAS_ALLOC's lowest free id. */
    private static SortedSet<Integer> census(IommufdBackend backend) {
        List<Integer> free = new ArrayList<>();
        int id;
        do {
            id = backend.ioasAlloc();
            free.add(id);
        } while (id < CENSUS_BOUND);
        for (int f : free) {
            backend.destroy(f);
        }
        SortedSet<Integer> occupied = new TreeSet<>();
        for (int i = 1; i < CENSUS_BOUND; i++) {
            if (!free.contains(i)) {
                occupied.add(i);
            }
        }
        return occupied;
    }
}
