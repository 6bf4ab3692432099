package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The options of the {@code linux} backend.
 * <ul>
 *   <li>{@code source} = {@code vfio} (default) or {@code selftest}: where devices come from.</li>
 *   <li>{@code devices} = a comma list of VFIO cdev paths ({@code /dev/vfio/devices/vfio0}) or PCI addresses
 *       ({@code 0000:00:03.0}) for the {@code vfio} source; or the single word {@code selftest}, the same as
 *       {@code source=selftest}. Without it, {@code deviceRefs()} lists {@code /dev/vfio/devices/*}.</li>
 *   <li>{@code mdev} = an mdev type directory name ({@code mtty-1}): mediated devices of that type are made
 *       through sysfs for specs with {@code mdev=true} ({@link MdevSource}), beside the source's own devices.</li>
 *   <li>{@code faults} = {@code kernel}: the backend offers {@code FaultInjection}, and a fault is made by the
 *       kernel's fail-nth ({@link KernelFaultInjection}); {@code none} (default): no fault injection of its own.</li>
 *   <li>{@code vfLogging} = {@code declared} (selftest source only): a spec's VF dirty tracking is reported as
 *       given, as migration and P2P are, and every DMA logging call on such a device answers ENOTTY;
 *       {@code refused} (default): {@code cannotCreate} refuses it.</li>
 * </ul>
 * Unknown keys and values are rejected with {@link IllegalArgumentException}.
 *
 * @param source   the device source
 * @param devices  the devices named by {@code devices} (empty: all VFIO cdevs found)
 * @param mdevType the mdev type to make mediated devices of, or null
 * @param faults   where faults come from
 * @param vfLogging what the selftest source does with a spec's VF dirty tracking
 */
record LinuxOptions(Source source, List<String> devices, String mdevType, Faults faults, VfLogging vfLogging) {

    /** Where devices come from. */
    enum Source { VFIO, SELFTEST }

    /** Whether the backend injects faults, and how. */
    enum Faults { NONE, KERNEL }

    /** What the selftest source does with a spec's VF dirty tracking (the mock device has no VFIO device features). */
    enum VfLogging {
        /** {@code cannotCreate} refuses it. */
        REFUSED,
        /** Reported as given, as migration and P2P are; every DMA logging call on the device answers ENOTTY. */
        DECLARED
    }

    static final String KEY_SOURCE = "source";
    static final String KEY_DEVICES = "devices";
    static final String KEY_MDEV = "mdev";
    static final String KEY_FAULTS = "faults";
    static final String KEY_VF_LOGGING = "vfLogging";
    private static final Set<String> KEYS = Set.of(KEY_SOURCE, KEY_DEVICES, KEY_MDEV, KEY_FAULTS, KEY_VF_LOGGING);
    /** An mdev type directory name: what {@code mdev_supported_types/} lists ({@code mtty-1}, {@code i915-GVTg_V5_4}). */
    private static final Pattern MDEV_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]*");

    LinuxOptions {
        devices = List.copyOf(devices);
    }

    /** The options with no mdev type, no faults, VF dirty tracking refused. */
    LinuxOptions(Source source, List<String> devices) {
        this(source, devices, null, Faults.NONE, VfLogging.REFUSED);
    }

    static LinuxOptions parse(BackendOptions options) {
        Map<String, String> map = options.asMap();
        for (String key : map.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("linux backend: unknown option '" + key + "'; known options: "
                        + KEY_SOURCE + " (vfio|selftest), " + KEY_DEVICES + " (comma list of /dev/vfio/devices/vfioN or"
                        + " PCI addresses, or 'selftest'), " + KEY_MDEV + " (an mdev type such as mtty-1), "
                        + KEY_FAULTS + " (none|kernel), " + KEY_VF_LOGGING + " (refused|declared)");
            }
        }
        String sourceValue = map.getOrDefault(KEY_SOURCE, "").trim();
        Source source;
        switch (sourceValue) {
            case "", "vfio" -> source = Source.VFIO;
            case "selftest" -> source = Source.SELFTEST;
            default -> throw new IllegalArgumentException("linux backend: option source=" + sourceValue
                    + " is neither 'vfio' nor 'selftest'");
        }
        List<String> devices = new ArrayList<>();
        String devicesValue = map.get(KEY_DEVICES);
        if (devicesValue != null) {
            if (devicesValue.trim().equals("selftest")) {
                if (map.containsKey(KEY_SOURCE) && source != Source.SELFTEST) {
                    throw new IllegalArgumentException("linux backend: devices=selftest contradicts source=" + sourceValue);
                }
                source = Source.SELFTEST;
            } else {
                if (source == Source.SELFTEST) {
                    throw new IllegalArgumentException("linux backend: the selftest source makes its devices "
                            + "(DeviceProvisioning); devices=" + devicesValue + " names VFIO devices");
                }
                for (String d : devicesValue.split(",", -1)) {
                    String ref = d.trim();
                    if (ref.isEmpty()) {
                        throw new IllegalArgumentException("linux backend: devices=" + devicesValue + " has an empty entry");
                    }
                    if (!VfioDevices.looksLikeDevice(ref)) {
                        throw new IllegalArgumentException("linux backend: device '" + ref
                                + "' is neither a /dev/vfio/devices/vfioN path nor a PCI address like 0000:00:03.0");
                    }
                    devices.add(ref);
                }
            }
        }
        String mdevType = null;
        if (map.containsKey(KEY_MDEV)) {
            mdevType = map.get(KEY_MDEV).trim();
            if (!MDEV_TYPE.matcher(mdevType).matches()) {
                throw new IllegalArgumentException("linux backend: mdev=" + map.get(KEY_MDEV) + " is not an mdev type name"
                        + " (a directory of /sys/class/mdev_bus/<parent>/mdev_supported_types, such as mtty-1)");
            }
        }
        String faultsValue = map.getOrDefault(KEY_FAULTS, "").trim();
        Faults faults;
        switch (faultsValue) {
            case "", "none" -> faults = Faults.NONE;
            case "kernel" -> faults = Faults.KERNEL;
            default -> throw new IllegalArgumentException("linux backend: option faults=" + faultsValue
                    + " is neither 'none' nor 'kernel' (failures made by the kernel's fail-nth)");
        }
        String vfValue = map.getOrDefault(KEY_VF_LOGGING, "").trim();
        VfLogging vfLogging;
        switch (vfValue) {
            case "", "refused" -> vfLogging = VfLogging.REFUSED;
            case "declared" -> vfLogging = VfLogging.DECLARED;
            default -> throw new IllegalArgumentException("linux backend: option vfLogging=" + vfValue
                    + " is neither 'refused' nor 'declared'");
        }
        if (vfLogging == VfLogging.DECLARED && source != Source.SELFTEST) {
            throw new IllegalArgumentException("linux backend: vfLogging=declared is for the selftest source's devices;"
                    + " a VFIO device's DMA logging is probed, not declared");
        }
        return new LinuxOptions(source, devices, mdevType, faults, vfLogging);
    }
}
