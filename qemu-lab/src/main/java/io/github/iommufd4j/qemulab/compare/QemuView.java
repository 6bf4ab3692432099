package io.github.iommufd4j.qemulab.compare;

import io.github.iommufd4j.api.HwptAllocFlag;
import io.github.iommufd4j.qemulab.LabEntry;
import io.github.iommufd4j.simulator.report.ContainerReport;
import io.github.iommufd4j.simulator.report.HwptReport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * QEMU's topology as its calls say it: which IOASes (containers) and HWPTs it holds, and which device is on which
 * HWPT, taken from the backend calls in order. QEMU forgets an object when it asks to destroy it, whether or not the
 * kernel agrees (an object whose destroy failed is the kernel's leak, not QEMU's container), and a device when it
 * asks to detach or unbind it. Lists are newest first, as QEMU keeps them ({@code docs/reference/qemu-rules.md} section 1).
 */
final class QemuView {
    private long clock;
    /** Bound device id to name, from BIND. */
    private final Map<Integer, String> names = new LinkedHashMap<>();
    /** IOAS id to when it was allocated. */
    private final Map<Integer, Long> containers = new LinkedHashMap<>();
    private final Map<Integer, Hwpt> hwpts = new LinkedHashMap<>();
    /** Device id to the HWPT it is on and since when. */
    private final Map<Integer, long[]> onHwpt = new LinkedHashMap<>();

    private record Hwpt(int id, int ioas, List<String> flags, long since) {
    }

    /** Takes one entry of the log into account (only successful allocations and attaches, every destroy/detach). */
    void apply(LabEntry e) {
        if (e.kind() != LabEntry.Kind.BACKEND) {
            return;
        }
        clock++;
        switch (e.op()) {
            case "BIND" -> {
                if (e.ok()) {
                    names.put(num(e, "outDevId"), (String) e.arg("device"));
                }
            }
            case "UNBIND" -> {
                onHwpt.remove(num(e, "devId"));
                names.remove(num(e, "devId"));
            }
            case "IOAS_ALLOC" -> {
                if (e.ok()) {
                    containers.put(num(e, "outIoasId"), clock);
                }
            }
            case "HWPT_ALLOC" -> {
                if (e.ok()) {
                    List<String> flags = e.flags() == null ? List.of()
                            : e.flags().toList().stream().map(HwptAllocFlag::name).toList();
                    hwpts.put(num(e, "outHwptId"), new Hwpt(num(e, "outHwptId"), num(e, "ptId"), flags, clock));
                }
            }
            case "ATTACH" -> {
                if (e.ok() && hwpts.containsKey(num(e, "ptId"))) {
                    onHwpt.put(num(e, "devId"), new long[] {num(e, "ptId"), clock});
                }
            }
            case "DETACH" -> onHwpt.remove(num(e, "devId"));
            case "DESTROY" -> {
                int id = num(e, "id");
                hwpts.remove(id);
                containers.remove(id);
            }
            default -> {
                // maps, dirty tracking: no change to the topology
            }
        }
    }

    private static int num(LabEntry e, String arg) {
        Object v = e.arg(arg);
        if (!(v instanceof Number n)) {
            throw new IllegalStateException("backend call " + e + " has no numeric '" + arg + "'");
        }
        return n.intValue();
    }

    /** The HWPT a device is on, or null. */
    Integer hwptOf(String device) {
        for (Map.Entry<Integer, long[]> d : onHwpt.entrySet()) {
            if (device.equals(names.get(d.getKey()))) {
                return (int) d.getValue()[0];
            }
        }
        return null;
    }

    /** The IOAS of a HWPT QEMU holds, or null. */
    Integer ioasOf(Integer hwpt) {
        Hwpt h = hwpt == null ? null : hwpts.get(hwpt);
        return h == null ? null : h.ioas();
    }

    /** The IOAS (container) a device's HWPT is in; null when the device is on none. */
    Integer containerOf(int devId) {
        long[] on = onHwpt.get(devId);
        return on == null ? null : ioasOf((int) on[0]);
    }

    /** Containers newest first, each with its HWPTs (newest first) and their devices and its devices (newest first). */
    List<ContainerReport> containers() {
        List<ContainerReport> out = new ArrayList<>();
        List<Map.Entry<Integer, Long>> cs = new ArrayList<>(containers.entrySet());
        cs.sort(Map.Entry.<Integer, Long>comparingByValue().reversed());
        for (Map.Entry<Integer, Long> c : cs) {
            List<HwptReport> hs = new ArrayList<>();
            hwpts.values().stream().filter(h -> h.ioas() == c.getKey()).sorted(Comparator.comparingLong(Hwpt::since).reversed())
                    .forEach(h -> hs.add(new HwptReport(h.id(), h.flags(), devicesOn(h.id()))));
            List<Map.Entry<Integer, long[]>> ds = new ArrayList<>();
            for (Map.Entry<Integer, long[]> d : onHwpt.entrySet()) {
                if (c.getKey().equals(ioasOf((int) d.getValue()[0]))) {
                    ds.add(d);
                }
            }
            ds.sort(Comparator.comparingLong((Map.Entry<Integer, long[]> d) -> d.getValue()[1]).reversed());
            out.add(new ContainerReport(c.getKey(), false, false, hs, ds.stream().map(d -> names.get(d.getKey())).toList()));
        }
        return out;
    }

    private List<String> devicesOn(int hwpt) {
        return onHwpt.entrySet().stream().filter(d -> d.getValue()[0] == hwpt)
                .sorted(Comparator.comparingLong((Map.Entry<Integer, long[]> d) -> d.getValue()[1]).reversed())
                .map(d -> names.get(d.getKey())).toList();
    }
}
