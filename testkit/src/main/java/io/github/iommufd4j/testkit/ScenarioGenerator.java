package io.github.iommufd4j.testkit;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
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
 * and vIOMMU. Steps: attach, detach, start/stop dirty tracking, dma, sync, map, unmap and (optionally)
 * {@code fault} steps with an errno the failing call could plausibly return: ENOMEM for every operation,
 * EINVAL or EBUSY where the kernel contract lists it. A light model of which devices are attached and which
 * memory is mapped biases the choice towards steps that do something, but steps that fail are valid too.
 */
public final class ScenarioGenerator {
    /** Lowest IOVA of generated memory: the mock aperture start, 16 MiB. */
    public static final long MEMORY_START = 1L << 24;
    /** End (exclusive) of generated memory: 2 GiB. */
    public static final long MEMORY_END = 1L << 31;
    /** Alignment and granule of generated memory ranges: 2 MiB. */
    public static final long MEMORY_GRANULE = 1L << 21;

    private static final String[] FAMILIES = {"default", "other"};

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
     */
    public record Options(int minIommus, int maxIommus, int minDevices, int maxDevices, int minSteps, int maxSteps,
                          boolean faults, String profile) {
        public Options {
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

        /** 1-4 IOMMUs, 1-6 devices, 10-40 steps, fault steps included, default profile. */
        public static Options defaults() {
            return new Options(1, 4, 1, 6, 10, 40, true, null);
        }

        /** These options without {@code fault} steps. */
        public Options withoutFaults() {
            return new Options(minIommus, maxIommus, minDevices, maxDevices, minSteps, maxSteps, false, profile);
        }

        /** These options with a step count in {@code [min, max]}. */
        public Options withSteps(int min, int max) {
            return new Options(minIommus, maxIommus, minDevices, maxDevices, min, max, faults, profile);
        }
    }

    private ScenarioGenerator() {
    }

    /** The plausible errnos a {@code fault} step on {@code op} may inject (never empty). */
    public static List<Errno> plausibleErrnos(BackendOp op) {
        return FAULT_ERRNOS.getOrDefault(op, List.of(Errno.ENOMEM));
    }

    /** The operations a {@code fault} step may name ({@code scenario-format.md}; UNBIND is not one). */
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

        private void host() {
            int families = chance(0.3) ? 2 : 1;
            int nIommus = between(opt.minIommus(), opt.maxIommus());
            for (int i = 0; i < nIommus; i++) {
                iommus.add(new IommuDef("iommu" + i, FAMILIES[rnd.nextInt(families)], chance(0.6), chance(0.8)));
            }
            int nDevices = between(opt.minDevices(), opt.maxDevices());
            for (int i = 0; i < nDevices; i++) {
                boolean mdev = chance(0.12);
                devices.add(new DeviceDef((mdev ? "md" : "vf") + i, pick(iommus).id(), mdev, chance(0.35),
                        chance(0.85), chance(0.85), onOffAuto(0.15, 0.1), onOffAuto(0.7, 0.15), chance(0.1)));
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
            if (opt.faults() && w < 10) {
                return fault();
            }
            w = rnd.nextInt(100);
            if (w < 28) {
                return attach();
            } else if (w < 40) {
                return detach();
            } else if (w < 47) {
                started = true;
                return new Step.StartDirtyTracking();
            } else if (w < 53) {
                started = false;
                return new Step.StopDirtyTracking();
            } else if (w < 72) {
                return dma();
            } else if (w < 85) {
                return sync();
            } else if (w < 93) {
                return map();
            } else {
                return unmap();
            }
        }

        private Step attach() {
            List<DeviceDef> detached = devices.stream().filter(d -> !attached.contains(d.name())).toList();
            DeviceDef d = detached.isEmpty() || chance(0.05) ? pick(devices) : pick(detached);
            if (started && chance(0.8)) {
                return stopFirst();
            }
            attached.add(d.name());
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
            String name = names.isEmpty() || chance(0.05) ? pick(devices).name() : pick(names);
            attached.remove(name);
            return new Step.Detach(name);
        }

        private Step dma() {
            List<String> names = new ArrayList<>(attached);
            names.sort(null);
            String device = names.isEmpty() || chance(0.1) ? pick(devices).name() : pick(names);
            long page = Scenario.DEFAULT_PAGE_SIZE;
            long iova;
            long pages = between(1, 16);
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
            BackendOp op = pick(faultableOps());
            Errno errno = pick(plausibleErrnos(op));
            return new Step.Fault(op, errno, chance(0.7) ? 1 : between(2, 4));
        }
    }
}
