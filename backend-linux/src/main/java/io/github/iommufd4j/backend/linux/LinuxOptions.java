package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The options of the {@code linux} backend.
 * <ul>
 *   <li>{@code source} = {@code vfio} (default) or {@code selftest}: where devices come from.</li>
 *   <li>{@code devices} = a comma list of VFIO cdev paths ({@code /dev/vfio/devices/vfio0}) or PCI addresses
 *       ({@code 0000:00:03.0}) for the {@code vfio} source; or the single word {@code selftest}, the same as
 *       {@code source=selftest}. Without it, {@code deviceRefs()} lists {@code /dev/vfio/devices/*}.</li>
 * </ul>
 * Unknown keys and values are rejected with {@link IllegalArgumentException}.
 *
 * @param source  the device source
 * @param devices the devices named by {@code devices} (empty: all VFIO cdevs found)
 */
record LinuxOptions(Source source, List<String> devices) {

    /** Where devices come from. */
    enum Source { VFIO, SELFTEST }

    static final String KEY_SOURCE = "source";
    static final String KEY_DEVICES = "devices";
    private static final Set<String> KEYS = Set.of(KEY_SOURCE, KEY_DEVICES);

    LinuxOptions {
        devices = List.copyOf(devices);
    }

    static LinuxOptions parse(BackendOptions options) {
        Map<String, String> map = options.asMap();
        for (String key : map.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("linux backend: unknown option '" + key + "'; known options: "
                        + KEY_SOURCE + " (vfio|selftest), " + KEY_DEVICES + " (comma list of /dev/vfio/devices/vfioN or"
                        + " PCI addresses, or 'selftest')");
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
        return new LinuxOptions(source, devices);
    }
}
