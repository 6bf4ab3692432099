package io.github.iommufd4j.qemulab.compare;

import io.github.iommufd4j.qemulab.LabDevice;
import io.github.iommufd4j.simulator.scenario.DeviceDef;
import io.github.iommufd4j.simulator.scenario.DmaWrite;
import io.github.iommufd4j.simulator.scenario.MemoryRange;
import io.github.iommufd4j.simulator.scenario.Scenario;
import io.github.iommufd4j.simulator.scenario.Step;
import io.github.iommufd4j.testkit.ScenarioGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which scenarios the real QEMU can run in the lab, and why not the others: every step must be something QEMU does
 * on request ({@code attach} is {@code device_add}, {@code detach} is {@code device_del} and the eject, {@code migrate}
 * is {@code migrate} then {@code cont}; {@code dma} and {@code fault} act on the mock behind the scripted kernel), and
 * every device something the lab can hand QEMU (a PCI function outside any vIOMMU).
 */
public final class LabReach {
    /** The devices the lab can plug: one per PCI slot it ejects from. */
    public static final int MAX_DEVICES = LabDevice.LAST_SLOT - LabDevice.FIRST_SLOT + 1;
    /** QEMU's dirty bitmaps and DMA logs use the host's page: 4 KiB here. */
    public static final long PAGE_SIZE = 4096;
    private static final Pattern QEMU_ID = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,30}");

    private LabReach() {
    }

    /** Why the lab cannot run {@code s} (the first reason found), or empty when it can. */
    public static Optional<String> outOfReach(Scenario s) {
        List<String> why = reasons(s);
        return why.isEmpty() ? Optional.empty() : Optional.of(why.get(0));
    }

    /** Every reason the lab cannot run {@code s}, in the order of the file. */
    public static List<String> reasons(Scenario s) {
        List<String> why = new ArrayList<>();
        if (s.pageSize() != PAGE_SIZE) {
            why.add("pageSize " + s.pageSize() + ": QEMU tracks dirty pages in host pages of " + PAGE_SIZE + " bytes");
        }
        if (s.devices().size() > MAX_DEVICES) {
            why.add(s.devices().size() + " devices: the lab plugs at most " + MAX_DEVICES + " (PCI slots "
                    + LabDevice.FIRST_SLOT + "-" + LabDevice.LAST_SLOT + ", the ones HMP's 16-bit eject write reaches)");
        }
        for (DeviceDef d : s.devices()) {
            if (d.mdev()) {
                why.add("device " + d.name() + " is an mdev: QEMU tells an mdev by its sysfs path, and a device the lab"
                        + " hands over by descriptor has none");
            }
            if (d.viommu()) {
                why.add("device " + d.name() + " sits behind a vIOMMU: the lab runs the pc machine without an emulated"
                        + " IOMMU");
            }
            if (!QEMU_ID.matcher(d.name()).matches()) {
                why.add("device name '" + d.name() + "' is not a QEMU id (a letter, then letters, digits, '-', '_', '.')");
            }
        }
        for (int i = 0; i < s.steps().size(); i++) {
            Step step = s.steps().get(i);
            String at = "step " + i + " (" + step.opName() + ")";
            if (step instanceof Step.StartDirtyTracking || step instanceof Step.StopDirtyTracking
                    || step instanceof Step.Sync) {
                why.add(at + ": QEMU starts, syncs and stops dirty tracking only inside a migration (migrate)");
            } else if (step instanceof Step.MapMemory || step instanceof Step.UnmapMemory) {
                why.add(at + ": the guest memory is QEMU's own (-m 128M); nothing maps or unmaps it on request");
            } else if (step instanceof Step.Dma dma && !inRam(dma.iova(), dma.length())) {
                why.add(at + ": " + range(dma.iova(), dma.length()) + " is not inside QEMU's guest RAM at -m 128M "
                        + ram());
            } else if (step instanceof Step.Migrate m) {
                for (DmaWrite w : m.dma()) {
                    if (!inRam(w.iova(), w.length())) {
                        why.add(at + ": the write " + range(w.iova(), w.length()) + " is not inside QEMU's guest RAM at"
                                + " -m 128M " + ram());
                    }
                }
            } else if (step instanceof Step.ViommuMap || step instanceof Step.ViommuUnmap) {
                why.add(at + ": the guest's vIOMMU mappings need an emulated IOMMU, and the lab runs pc without one");
            } else if (!(step instanceof Step.Attach || step instanceof Step.Detach || step instanceof Step.Dma
                    || step instanceof Step.Fault)) {
                why.add(at + ": QEMU takes no such step on request in the lab");
            }
        }
        return why;
    }

    private static boolean inRam(long iova, long length) {
        return ScenarioGenerator.QEMU_PC_128M_RAM.stream().anyMatch(r -> r.iova() <= iova && iova + length <= r.end());
    }

    private static String ram() {
        StringBuilder sb = new StringBuilder();
        for (MemoryRange r : ScenarioGenerator.QEMU_PC_128M_RAM) {
            sb.append(sb.length() == 0 ? "" : " and ").append(range(r.iova(), r.length()));
        }
        return "(" + sb + ")";
    }

    private static String range(long iova, long length) {
        return "[0x" + Long.toHexString(iova) + ", 0x" + Long.toHexString(iova + length) + ")";
    }
}
