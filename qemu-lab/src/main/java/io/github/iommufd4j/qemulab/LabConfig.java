package io.github.iommufd4j.qemulab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What one lab run starts with.
 *
 * @param devices     every device the run may plug, in order (each gets a descriptor at start; hot-plug needs it)
 * @param coldPlugged the names of the devices on QEMU's command line (realized before QMP is up)
 * @param memoryMiB   guest RAM ({@code -m})
 * @param timeout     the limit for each wait (start, a QMP command, an event)
 * @param extraArgs   more QEMU arguments, appended
 */
public record LabConfig(List<LabDevice> devices, List<String> coldPlugged, int memoryMiB, Duration timeout,
                        List<String> extraArgs) {

    /** The guest RAM the lab uses unless told otherwise. */
    public static final int DEFAULT_MEMORY_MIB = 128;

    public LabConfig {
        devices = List.copyOf(devices);
        coldPlugged = List.copyOf(coldPlugged);
        extraArgs = List.copyOf(extraArgs);
        Objects.requireNonNull(timeout, "timeout");
        Set<String> names = new HashSet<>();
        Set<Integer> slots = new HashSet<>();
        for (LabDevice d : devices) {
            if (!names.add(d.name())) {
                throw new IllegalArgumentException("two devices are named '" + d.name() + "'");
            }
            if (!slots.add(d.slot())) {
                throw new IllegalArgumentException("device " + d.name() + ": PCI slot " + d.slot() + " is taken twice");
            }
        }
        for (String c : coldPlugged) {
            if (!names.contains(c)) {
                throw new IllegalArgumentException("cold-plugged device '" + c + "' is not among the devices " + names);
            }
        }
        if (memoryMiB < 2) {
            throw new IllegalArgumentException("memory " + memoryMiB + " MiB is too small for the pc machine");
        }
    }

    /** Devices, all hot-plugged later, 128 MiB, 20 s per wait. */
    public static LabConfig of(List<LabDevice> devices) {
        return new LabConfig(devices, List.of(), DEFAULT_MEMORY_MIB, Duration.ofSeconds(20), List.of());
    }

    /** The same with these devices on the command line. */
    public LabConfig coldPlug(String... names) {
        List<String> c = new ArrayList<>(coldPlugged);
        c.addAll(List.of(names));
        return new LabConfig(devices, c, memoryMiB, timeout, extraArgs);
    }

    public LabConfig withMemoryMiB(int mib) {
        return new LabConfig(devices, coldPlugged, mib, timeout, extraArgs);
    }

    /** The device named {@code name}. */
    public LabDevice device(String name) {
        return devices.stream().filter(d -> d.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no device '" + name + "' in this run; devices: "
                        + devices.stream().map(LabDevice::name).toList()));
    }
}
