package io.github.iommufd4j.core;

import io.github.iommufd4j.api.BackendCall;
import io.github.iommufd4j.api.RecordingBackend;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.IommuSpec;
import io.github.iommufd4j.backend.mock.MockBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** A VMM over a fresh mock backend, recording calls and diagnostics, with helpers to make devices. */
final class TestHost {
    static final IommuSpec DIRTY = IommuSpec.of("iommu-dirty", "default", true, true);
    static final IommuSpec PLAIN = IommuSpec.of("iommu-plain", "default", false, true);
    static final IommuSpec OTHER_FAMILY = IommuSpec.of("iommu-other", "other", true, true);
    static final long MEMORY_IOVA = 0x1000000;
    static final long MEMORY_LENGTH = 0x400000;

    final MockBackend mock = new MockBackend();
    final RecordingBackend backend = new RecordingBackend(mock);
    final VfioIommufd vmm;
    final List<Diagnostic> diagnostics = new ArrayList<>();

    TestHost() {
        this(Profile.QEMU_9_1);
    }

    TestHost(Profile profile) {
        vmm = new VfioIommufd(backend, profile, 4096);
        vmm.addDiagnosticListener(diagnostics::add);
    }

    /** Adds guest memory (16 MiB + 4 MiB) and forgets the calls. */
    TestHost withMemory() {
        vmm.mapMemory(MEMORY_IOVA, MEMORY_LENGTH);
        backend.drain();
        return this;
    }

    /** A plain device behind {@code iommu} with migration and P2P, no VF tracking. */
    TestHost device(String name, IommuSpec iommu) {
        mock.createDevice(DeviceSpec.plain(name, iommu));
        return this;
    }

    TestHost device(DeviceSpec spec) {
        mock.createDevice(spec);
        return this;
    }

    void attach(String name) {
        vmm.attach(DeviceConfig.of(name));
    }

    void attach(String name, OnOffAuto enableMigration) {
        vmm.attach(new DeviceConfig(name, name, enableMigration, OnOffAuto.ON, false));
    }

    /** Calls since the last drain, as {@code "OP=result"} strings (result "ok" or the errno). */
    List<String> calls() {
        return backend.drain().stream().map(c -> c.op() + "=" + (c.ok() ? "ok" : c.result().name())).toList();
    }

    /** Full calls since the last drain. */
    List<BackendCall> fullCalls() {
        return backend.drain();
    }

    List<String> warnings() {
        return diagnostics.stream().filter(d -> d.level() == Diagnostic.Level.WARNING).map(Diagnostic::text).toList();
    }

    Snapshots.Topology topology() {
        return vmm.snapshot();
    }

    Snapshots.DeviceView dev(String name) {
        return topology().device(name);
    }

    Snapshots.ContainerView onlyContainer() {
        List<Snapshots.ContainerView> cs = topology().containers();
        assertThat(cs).hasSize(1);
        return cs.get(0);
    }

    /**
     * Every object alive in the backend is one core knows (containers' IOASes, their HWPTs, bound attached
     * devices), and every object core knows is alive.
     */
    void assertBackendMatchesCore() {
        Set<String> known = new TreeSet<>();
        Snapshots.Topology t = topology();
        for (Snapshots.ContainerView c : t.containers()) {
            known.add("IOAS " + c.ioasId());
            c.hwpts().forEach(h -> known.add("HWPT " + h.id()));
        }
        t.orphans().forEach(o -> known.add(o.toString()));
        Set<String> alive = new TreeSet<>();
        int boundDevices = 0;
        for (BackendObject o : mock.liveObjects()) {
            if (o.type() == BackendObject.Type.DEVICE) {
                boundDevices++;
            } else if (o.type() == BackendObject.Type.HWPT && !known.contains(o.toString())) {
                alive.add(o.toString()); // an auto domain of an mdev is the kernel's, allowed only with an mdev
            } else {
                alive.add(o.toString());
            }
        }
        long attachedMdevs = t.devices().stream().filter(d -> d.attached() && d.mdev()).count();
        Set<String> unknownHwpts = new TreeSet<>(alive);
        unknownHwpts.removeAll(known);
        assertThat(unknownHwpts.size()).as("objects core does not know: %s", unknownHwpts).isLessThanOrEqualTo((int) attachedMdevs);
        Set<String> missing = new TreeSet<>(known);
        missing.removeAll(alive);
        assertThat(missing).as("objects core knows but the backend has not").isEmpty();
        long attached = t.devices().stream().filter(Snapshots.DeviceView::attached).count();
        assertThat(boundDevices).as("bound devices").isEqualTo((int) attached);
    }
}
