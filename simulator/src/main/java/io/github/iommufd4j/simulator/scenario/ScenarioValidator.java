package io.github.iommufd4j.simulator.scenario;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The rules of {@code docs/reference/scenario-format.md} that span several parts of a {@link Scenario}: a known profile,
 * unique IOMMU ids and device names, no dangling references, addresses and lengths that are multiples of
 * the page size, guest memory ranges that do not overlap. Problems are named by key path so a parser can
 * add the file position.
 */
public final class ScenarioValidator {
    private ScenarioValidator() {
    }

    /** Every problem of {@code scenario}, in file order; empty when it can run. */
    public static List<ScenarioProblem> validate(Scenario scenario) {
        List<ScenarioProblem> problems = new ArrayList<>();
        List<String> profiles = Scenario.knownProfiles();
        if (scenario.profile() != null && !profiles.contains(scenario.profile())) {
            problems.add(new ScenarioProblem("profile", "unknown profile '" + scenario.profile()
                    + "'; expected one of " + String.join(", ", profiles)));
        }
        long page = scenario.pageSize();
        List<MemoryRange> memory = scenario.memory();
        for (int i = 0; i < memory.size(); i++) {
            MemoryRange r = memory.get(i);
            String at = "memory[" + i + "]";
            checkAligned(problems, at, r.iova(), r.length(), page);
            for (int j = 0; j < i; j++) {
                if (memory.get(j).overlaps(r)) {
                    problems.add(new ScenarioProblem(at, "range " + describe(r.iova(), r.length())
                            + " overlaps memory[" + j + "]; expected disjoint ranges"));
                    break;
                }
            }
        }
        Set<String> iommuIds = new LinkedHashSet<>();
        for (int i = 0; i < scenario.iommus().size(); i++) {
            String id = scenario.iommus().get(i).id();
            if (!iommuIds.add(id)) {
                problems.add(new ScenarioProblem("iommus[" + i + "].id", "duplicate IOMMU id '" + id
                        + "'; expected a unique id"));
            }
        }
        Set<String> deviceNames = new LinkedHashSet<>();
        for (int i = 0; i < scenario.devices().size(); i++) {
            DeviceDef d = scenario.devices().get(i);
            if (!deviceNames.add(d.name())) {
                problems.add(new ScenarioProblem("devices[" + i + "].name", "duplicate device name '" + d.name()
                        + "'; expected a unique name"));
            }
            if (!iommuIds.contains(d.iommu())) {
                problems.add(new ScenarioProblem("devices[" + i + "].iommu", "unknown IOMMU '" + d.iommu()
                        + "'; expected " + oneOf(iommuIds, "an IOMMU id (iommus is empty)")));
            }
        }
        for (int i = 0; i < scenario.steps().size(); i++) {
            checkStep(problems, "steps[" + i + "]." + scenario.steps().get(i).opName(), scenario.steps().get(i),
                    deviceNames, page);
            checkViommuStep(problems, "steps[" + i + "]." + scenario.steps().get(i).opName(), scenario.steps().get(i),
                    scenario, page);
        }
        return List.copyOf(problems);
    }

    /**
     * The vIOMMU steps (format additions for Q-EV-5): their device sits behind a translating vIOMMU
     * ({@code viommuKind: intel-iommu}), and a mapping is one IOTLB entry: a power-of-two length of at least a page,
     * an iova aligned to it.
     */
    private static void checkViommuStep(List<ScenarioProblem> problems, String at, Step step, Scenario scenario, long page) {
        String device;
        long iova;
        long length;
        if (step instanceof Step.ViommuMap m) {
            device = m.device();
            iova = m.iova();
            length = m.length();
        } else if (step instanceof Step.ViommuUnmap u) {
            device = u.device();
            iova = u.iova();
            length = u.length();
        } else {
            return;
        }
        DeviceDef d = scenario.device(device);
        if (d == null) {
            checkDevice(problems, at + ".device", device, new LinkedHashSet<>(scenario.devices().stream().map(DeviceDef::name).toList()));
        } else if (!d.viommuKindOrDefault().translating()) {
            problems.add(new ScenarioProblem(at + ".device", "device '" + device + "' sits behind no translating vIOMMU;"
                    + " expected a device with viommu: true and viommuKind: intel-iommu"));
        }
        if (iova % page != 0 || length % page != 0) {
            checkAligned(problems, at, iova, length, page);
        } else if (Long.bitCount(length) != 1) {
            problems.add(new ScenarioProblem(at + ".length", "0x" + Long.toHexString(length) + " is not one IOTLB entry;"
                    + " expected a power of two (a multiple of pageSize 0x" + Long.toHexString(page) + ")"));
        } else if ((iova & (length - 1)) != 0) {
            problems.add(new ScenarioProblem(at + ".iova", "0x" + Long.toHexString(iova) + " is not aligned to the"
                    + " mapping's length 0x" + Long.toHexString(length) + "; expected an IOTLB entry's natural alignment"));
        }
    }

    private static void checkStep(List<ScenarioProblem> problems, String at, Step step, Set<String> devices,
                                  long page) {
        if (step instanceof Step.Attach || step instanceof Step.Detach) {
            checkDevice(problems, at, step.target(), devices);
        } else if (step instanceof Step.Dma dma) {
            checkDevice(problems, at + ".device", dma.device(), devices);
            checkAligned(problems, at, dma.iova(), dma.length(), page);
        } else if (step instanceof Step.Sync sync && !sync.isAllMemory()) {
            checkAligned(problems, at, sync.iova(), sync.length(), page);
        } else if (step instanceof Step.MapMemory map) {
            checkAligned(problems, at, map.iova(), map.length(), page);
        } else if (step instanceof Step.UnmapMemory unmap) {
            checkAligned(problems, at, unmap.iova(), unmap.length(), page);
        } else if (step instanceof Step.Migrate migrate) {
            for (int j = 0; j < migrate.dma().size(); j++) {
                DmaWrite w = migrate.dma().get(j);
                String wAt = at + ".dma[" + j + "]";
                checkDevice(problems, wAt + ".device", w.device(), devices);
                checkAligned(problems, wAt, w.iova(), w.length(), page);
            }
        }
    }

    private static void checkDevice(List<ScenarioProblem> problems, String at, String device, Set<String> devices) {
        if (!devices.contains(device)) {
            problems.add(new ScenarioProblem(at, "unknown device '" + device + "'; expected "
                    + oneOf(devices, "a device name (devices is empty)")));
        }
    }

    private static void checkAligned(List<ScenarioProblem> problems, String at, long iova, long length, long page) {
        if (iova % page != 0) {
            problems.add(new ScenarioProblem(at + ".iova", "0x" + Long.toHexString(iova)
                    + " is not a multiple of pageSize " + page + "; expected a multiple of 0x" + Long.toHexString(page)));
        }
        if (length % page != 0) {
            problems.add(new ScenarioProblem(at + ".length", "0x" + Long.toHexString(length)
                    + " is not a multiple of pageSize " + page + "; expected a multiple of 0x" + Long.toHexString(page)));
        }
    }

    private static String describe(long iova, long length) {
        return "[0x" + Long.toHexString(iova) + ", 0x" + Long.toHexString(iova + length) + ")";
    }

    private static String oneOf(Set<String> names, String whenEmpty) {
        if (names.isEmpty()) {
            return whenEmpty;
        }
        return "one of " + String.join(", ", names);
    }
}
