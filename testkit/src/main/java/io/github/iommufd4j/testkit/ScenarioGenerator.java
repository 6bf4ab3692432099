package io.github.iommufd4j.testkit;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.DmaWrite;
import io.github.iommufd4j.simulator.scenario.IommuDef;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.core.OnOffAuto;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Seeded random scenarios for property tests, differential tests and benchmarks. The same seed and options
 * always give the same scenario, and every scenario is valid ({@link io.github.iommufd4j.simulator.scenario.ScenarioValidator}
 * finds no problem): steps name devices that exist, addresses are page multiples, memory ranges are disjoint
 * and inside the kernel selftest mock's aperture [16 MiB, 2 GiB).
 *
 * <p>Hosts: 1 to 4 IOMMUs in 1 or 2 families with a mix of dirty tracking, 1 to 6 devices (mdevs now and then)
 * with a mix of VF dirty tracking, migration, P2P, {@code enableMigration}, {@code deviceDirtyPageTracking}
 * and vIOMMU. Steps: attach, detach, start/stop dirty tracking, dma, sync, map, unmap, migrate (with writes)
 * and (optionally) {@code fault} steps with an errno the failing call could plausibly return: ENOMEM for every
 * operation, EINVAL or EBUSY where the kernel contract lists it. A light model of which devices are attached and
 * which memory is mapped biases the choice towards steps that do something, but steps that fail are valid too.
 *
 * <p>{@link Mode#QEMU_LAB} ({@link Options#qemuLab()}) generates only what {@code qemu-lab/} can run on the real
 * QEMU: devices that are PCI functions outside any vIOMMU, QEMU's own guest memory ({@link #QEMU_PC_128M}), and the
 * steps attach, detach, migrate, dma and fault.
 */
public final class ScenarioGenerator {
    /** Lowest IOVA of generated memory: the mock aperture start, 16 MiB. */
    public static final long MEMORY_START = 1L << 24;
    /** End (exclusive) of generated memory: 2 GiB. */
    public static final long MEMORY_END = 1L << 31;
    /** Alignment and granule of generated memory ranges: 2 MiB. */
    public static final long MEMORY_GRANULE = 1L << 21;

    /**
     * QEMU 10.0's guest memory sections for {@code -machine pc -m 128M} with a 256 KiB firmware, as it maps them into
     * an IOAS, ascending (measured by {@code qemu-lab/}): RAM below the option-ROM area, {@code pc.rom} and
     * {@code isa-bios} (read-only), RAM from 1 MiB to 128 MiB, the firmware below 4 GiB (read-only).
     */
    public static final List<MemoryRange> QEMU_PC_128M = List.of(new MemoryRange(0x0, 0xc0000),
            new MemoryRange(0xc0000, 0x20000), new MemoryRange(0xe0000, 0x20000), new MemoryRange(0x100000, 0x7f00000),
            new MemoryRange(0xfffc0000L, 0x40000));
    /** The writable sections of {@link #QEMU_PC_128M}: where a device's DMA lands in guest RAM. */
    public static final List<MemoryRange> QEMU_PC_128M_RAM = List.of(QEMU_PC_128M.get(0), QEMU_PC_128M.get(3));

    private static final String[] FAMILIES = {"default", "other"};

    /** What the generated scenarios may use. */
    public enum Mode {
        /** Every step of the format on random memory inside the kernel selftest mock's aperture. */
        SIMULATOR,
        /**
         * What {@code qemu-lab/} can run on the real QEMU 10.0: no mdev, no vIOMMU, guest memory
         * {@link #QEMU_PC_128M}; steps attach, detach, migrate (with writes in RAM), dma and fault, none of the bare
         * start, stop, sync, map and unmap that QEMU only does inside a migration or never on request.
         */
        QEMU_LAB
    }

    /** Plausible errnos per failing operation (ENOMEM first: every allocation can fail). */
    private static final Map<BackendOp, List<Errno>> FAULT_ERRNOS = faultErrnos();

    /**
     * What to generate.
     *
     * @param minIommus  at least 1
     * @param maxIommus  at least {@code minIommus}
     * @param minDevices at least 1
     * @param maxDevices at least {@code minDevices}
     * @param minSteps   at least 0
     * @param maxSteps   at least {@code minSteps}
     * @param faults     whether {@code fault} steps are generated
     * @param profile    the scenario's profile, or null for the default
     * @param mode       what the scenarios may use
     */
    public record Options(int minIommus, int maxIommus, int minDevices, int maxDevices, int minSteps, int maxSteps,
                          boolean faults, String profile, Mode mode) {
        public Options {
            java.util.Objects.requireNonNull(mode, "mode");
            if (minIommus < 1 || maxIommus < minIommus) {
                throw new IllegalArgumentException("IOMMUs: need 1 <= minIommus <= maxIommus, got " + minIommus + ".." + maxIommus);
            }
            if (minDevices < 1 || maxDevices < minDevices) {
                throw new IllegalArgumentException("devices: need 1 <= minDevices <= maxDevices, got " + minDevices + ".." + maxDevices);
            }
            if (minSteps < 0 || maxSteps < minSteps) {
                throw new IllegalArgumentException("steps: need 0 <= minSteps <= maxSteps, got " + minSteps + ".." + maxSteps);
            }
        }

        /** Options of {@link Mode#SIMULATOR}. */
        public Options(int minIommus, int maxIommus, int minDevices, int maxDevices, int minSteps, int maxSteps,
                       boolean faults, String profile) {
            this(minIommus, maxIommus, minDevices, maxDevices, minSteps, maxSteps, faults, profile, Mode.SIMULATOR);
        }

        /** 1-4 IOMMUs, 1-6 devices, 10-40 steps, fault steps included, default profile. */
        public static Options defaults() {
            return new Options(1, 4, 1, 6, 10, 40, true, null);
        }

        /**
         * What {@code qemu-lab/} can run ({@link Mode#QEMU_LAB}): 1-3 IOMMUs, 1-4 devices, 4-12 steps, fault steps
         * included, profile {@code qemu-10.0}.
         */
        public static Options qemuLab() {
            return new Options(1, 3, 1, 4, 4, 12, true, "qemu-10.0", Mode.QEMU_LAB);
        }

        /** These options without {@code fault} steps. */
        public Options withoutFaults() {
            return new Options(minIommus, maxIommus, minDevices, maxDevices, minSteps, maxSteps, false, profile, mode);
        }

        /** These options with a step count in {@code [min, max]}. */
        public Options withSteps(int min, int max) {
            return new Options(minIommus, maxIommus, minDevices, maxDevices, min, max, faults, profile, mode);
        }
    }

    private ScenarioGenerator() {
    }

    /** The plausible errnos a {@code fault} step on {@code op} may inject (never empty). */
    public static List<Errno> plausibleErrnos(BackendOp op) {
        return FAULT_ERRNOS.getOrDefault(op, List.of(Errno.ENOMEM));
    }

    /** The operations a {@code fault} step may name ({@code docs/reference/scenario-format.md}; UNBIND is not one). */
    public static List<BackendOp> faultableOps() {
        return List.copyOf(FAULT_ERRNOS.keySet());
    }

    private static Map<BackendOp, List<Errno>> faultErrnos() {
        Map<BackendOp, List<Errno>> m = new LinkedHashMap<>();
        m.put(BackendOp.IOAS_ALLOC, List.of(Errno.ENOMEM));
        m.put(BackendOp.IOAS_MAP, List.of(Errno.ENOMEM, Errno.EINVAL));
        m.put(BackendOp.IOAS_UNMAP, List.of(Errno.ENOMEM, Errno.EINVAL));
        m.put(BackendOp.DESTROY, List.of(Errno.ENOMEM, Errno.EBUSY));
        m.put(BackendOp.BIND, List.of(Errno.ENOMEM, Errno.EINVAL, Errno.EBUSY));
        m.put(BackendOp.GET_HW_INFO, List.of(Errno.ENOMEM));
        m.put(BackendOp.HWPT_ALLOC, List.of(Errno.ENOMEM, Errno.EINVAL));
        m.put(BackendOp.ATTACH, List.of(Errno.ENOMEM, Errno.EINVAL, Errno.EBUSY));
        m.put(BackendOp.DETACH, List.of(Errno.ENOMEM, Errno.EINVAL));
        m.put(BackendOp.SET_DIRTY_TRACKING, List.of(Errno.ENOMEM));
        m.put(BackendOp.GET_DIRTY_BITMAP, List.of(Errno.ENOMEM, Errno.EINVAL));
        m.put(BackendOp.DMA_LOGGING_START, List.of(Errno.ENOMEM, Errno.EINVAL));
        m.put(BackendOp.DMA_LOGGING_STOP, List.of(Errno.ENOMEM));
        m.put(BackendOp.DMA_LOGGING_REPORT, List.of(Errno.ENOMEM, Errno.EINVAL));
        return m;
    }

    /** The scenario of {@code seed}, named {@code gen-<seed in hex>}. */
    public static Scenario generate(long seed, Options options) {
        return new Builder(new SplittableRandom(seed), options).build("gen-" + Long.toHexString(seed));
    }

    /** The state of one generation. */
    private static final class Builder {
        private final SplittableRandom rnd;
        private final Options opt;
        private final List<IommuDef> iommus = new ArrayList<>();
        private final List<DeviceDef> devices = new ArrayList<>();
        private final List<MemoryRange> initialMemory = new ArrayList<>();
        /** The model: memory believed mapped, devices believed attached, tracking believed started. */
        private final List<MemoryRange> mapped = new ArrayList<>();
        private final Set<String> attached = new HashSet<>();
        private boolean started;

        Builder(SplittableRandom rnd, Options opt) {
            this.rnd = rnd;
            this.opt = opt;
        }

        Scenario build(String name) {
            host();
            List<Step> steps = new ArrayList<>();
            int n = between(opt.minSteps(), opt.maxSteps());
            while (steps.size() < n) {
                Step s = step();
                if (s != null) {
                    steps.add(s);
                }
            }
            return new Scenario(Scenario.FORMAT_VERSION, name, opt.profile(), null, Scenario.DEFAULT_PAGE_SIZE,
                    initialMemory, iommus, devices, steps);
        }

        private int between(int lo, int hi) {
            return lo + rnd.nextInt(hi - lo + 1);
        }

        private boolean chance(double p) {
            return rnd.nextDouble() < p;
        }

        private <T> T pick(List<T> list) {
            return list.get(rnd.nextInt(list.size()));
        }

        private OnOffAuto onOffAuto(double on, double off) {
            double r = rnd.nextDouble();
            return r < on ? OnOffAuto.ON : r < on + off ? OnOffAuto.OFF : OnOffAuto.AUTO;
        }

        private boolean lab() {
            return opt.mode() == Mode.QEMU_LAB;
        }

        private void host() {
            int families = chance(0.3) ? 2 : 1;
            int nIommus = between(opt.minIommus(), opt.maxIommus());
            for (int i = 0; i < nIommus; i++) {
                iommus.add(new IommuDef("iommu" + i, FAMILIES[rnd.nextInt(families)], chance(lab() ? 0.65 : 0.6),
                        chance(0.8)));
            }
            int nDevices = between(opt.minDevices(), opt.maxDevices());
            for (int i = 0; i < nDevices; i++) {
                if (lab()) { // fewer blockers than the simulator's mix: more migrations run, and with on more lose pages
                    devices.add(new DeviceDef("vf" + i, pick(iommus).id(), false, chance(0.45), chance(0.95),
                            chance(0.9), onOffAuto(0.2, 0.05), onOffAuto(0.75, 0.15), false));
                    continue;
                }
                boolean mdev = chance(0.12);
                devices.add(new DeviceDef((mdev ? "md" : "vf") + i, pick(iommus).id(), mdev, chance(0.35),
                        chance(0.85), chance(0.85), onOffAuto(0.15, 0.1), onOffAuto(0.7, 0.15), chance(0.1)));
            }
            if (lab()) {
                initialMemory.addAll(QEMU_PC_128M);
                mapped.addAll(QEMU_PC_128M_RAM);
                return;
            }
            int nRanges = between(1, 2);
            for (int i = 0; i < nRanges; i++) {
                MemoryRange r = freeRange();
                if (r != null) {
                    initialMemory.add(r);
                    mapped.add(r);
                }
            }
        }

        /** A 2 MiB-aligned range of 1 to 8 granules inside [16 MiB, 2 GiB) that overlaps no mapped range, or null. */
        private MemoryRange freeRange() {
            long granules = (MEMORY_END - MEMORY_START) / MEMORY_GRANULE;
            for (int attempt = 0; attempt < 16; attempt++) {
                long len = between(1, 8);
                long first = rnd.nextLong(granules - len + 1);
                MemoryRange r = new MemoryRange(MEMORY_START + first * MEMORY_GRANULE, len * MEMORY_GRANULE);
                boolean clash = false;
                for (MemoryRange m : mapped) {
                    clash |= m.overlaps(r);
                }
                if (!clash) {
                    return r;
                }
            }
            return null;
        }

        private Step step() {
            int w = rnd.nextInt(100);
            if (opt.faults() && w < (lab() ? 15 : 10)) {
                return fault();
            }
            w = rnd.nextInt(100);
            if (lab()) {
                return labStep(w);
            }
            if (w < 26) {
                return attach();
            } else if (w < 38) {
                return detach();
            } else if (w < 45) {
                started = true;
                return new Step.StartDirtyTracking();
            } else if (w < 51) {
                started = false;
                return new Step.StopDirtyTracking();
            } else if (w < 69) {
                return dma();
            } else if (w < 81) {
                return sync();
            } else if (w < 88) {
                return map();
            } else if (w < 95) {
                return unmap();
            } else {
                return migrate();
            }
        }

        /**
         * The lab's mix: an attach when the model has nothing attached, else attach (of a detached device, when there
         * is one), detach, migrate and dma; each picks the wrong device now and then, as the refusals are QEMU's too.
         */
        private Step labStep(int w) {
            boolean someDetached = devices.stream().anyMatch(d -> !attached.contains(d.name()));
            if (attached.isEmpty()) {
                return attach();
            }
            if (w < 25) {
                return someDetached || chance(0.1) ? attach() : migrate();
            }
            return w < 45 ? detach() : w < 93 ? migrate() : dma();
        }

        /**
         * A migration with 0 to 3 writes by attached devices (now and then by any device), in guest memory. It is
         * refused while tracking is started (the model's start), and otherwise leaves tracking off.
         */
        private Step migrate() {
            List<DmaWrite> writes = new ArrayList<>();
            int n = lab() ? (chance(0.2) ? 0 : between(1, 3)) : between(0, 3);
            for (int i = 0; i < n; i++) {
                Step.Dma d = dma();
                writes.add(new DmaWrite(d.device(), d.iova(), d.length()));
            }
            return new Step.Migrate(writes);
        }

        private Step attach() {
            List<DeviceDef> detached = devices.stream().filter(d -> !attached.contains(d.name())).toList();
            DeviceDef d = detached.isEmpty() || chance(lab() ? 0.03 : 0.05) ? pick(devices) : pick(detached);
            if (started && chance(0.8)) {
                return stopFirst();
            }
            if (!lab() || d.enableMigration() != OnOffAuto.ON || d.migration()) {
                attached.add(d.name()); // with enable-migration=on a device without migration never stays (Q-MIG-2)
            }
            return new Step.Attach(d.name());
        }

        /** Attach and detach are refused while a migration runs (Q-HP-1); most of the time the migration ends first. */
        private Step stopFirst() {
            started = false;
            return new Step.StopDirtyTracking();
        }

        private Step detach() {
            if (started && chance(0.8)) {
                return stopFirst();
            }
            List<String> names = new ArrayList<>(attached);
            names.sort(null);
            String name = names.isEmpty() || chance(lab() ? 0.03 : 0.05) ? pick(devices).name() : pick(names);
            attached.remove(name);
            return new Step.Detach(name);
        }

        private Step.Dma dma() {
            List<String> names = new ArrayList<>(attached);
            names.sort(null);
            String device = names.isEmpty() || chance(lab() ? 0.03 : 0.1) ? pick(devices).name() : pick(names);
            long page = Scenario.DEFAULT_PAGE_SIZE;
            long iova;
            long pages = between(1, 16);
            if (lab()) { // in RAM only: a write to the read-only sections would fault on a real IOMMU
                MemoryRange m = pick(mapped);
                iova = m.iova() + rnd.nextLong(m.length() / page - pages + 1) * page;
                return new Step.Dma(device, iova, pages * page);
            }
            if (!mapped.isEmpty() && chance(0.9)) {
                MemoryRange m = pick(mapped);
                long inRange = m.length() / page;
                iova = m.iova() + rnd.nextLong(inRange) * page;
                pages = Math.min(pages, (m.end() - iova) / page + (chance(0.1) ? 4 : 0));
            } else {
                iova = MEMORY_START + rnd.nextLong((MEMORY_END - MEMORY_START) / page - pages) * page;
            }
            return new Step.Dma(device, iova, pages * page);
        }

        private Step sync() {
            if (mapped.isEmpty() || chance(0.7)) {
                return Step.Sync.allMemory();
            }
            MemoryRange m = pick(mapped);
            long page = Scenario.DEFAULT_PAGE_SIZE;
            long pages = m.length() / page;
            long first = rnd.nextLong(pages);
            long count = 1 + rnd.nextLong(pages - first);
            return new Step.Sync(m.iova() + first * page, count * page);
        }

        private Step map() {
            MemoryRange r = freeRange();
            if (r == null) {
                return null;
            }
            mapped.add(r);
            return new Step.MapMemory(r.iova(), r.length());
        }

        private Step unmap() {
            if (mapped.isEmpty()) {
                return null;
            }
            MemoryRange r = mapped.remove(rnd.nextInt(mapped.size()));
            return new Step.UnmapMemory(r.iova(), r.length());
        }

        private Step fault() {
            if (lab() && chance(0.35)) { // aim at what the migrations call, or they would rarely meet a fault
                BackendOp op = pick(List.of(BackendOp.SET_DIRTY_TRACKING, BackendOp.GET_DIRTY_BITMAP,
                        BackendOp.DMA_LOGGING_START, BackendOp.DMA_LOGGING_REPORT, BackendOp.DMA_LOGGING_STOP));
                return new Step.Fault(op, pick(plausibleErrnos(op)), between(1, op == BackendOp.GET_DIRTY_BITMAP
                        || op == BackendOp.DMA_LOGGING_REPORT ? 12 : 3));
            }
            BackendOp op = pick(faultableOps());
            Errno errno = pick(plausibleErrnos(op));
            return new Step.Fault(op, errno, chance(0.7) ? 1 : between(2, 4));
        }
    }
}
