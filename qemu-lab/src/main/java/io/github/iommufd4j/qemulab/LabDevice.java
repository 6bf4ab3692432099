package io.github.iommufd4j.qemulab;

import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.IommuSpec;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A device of a lab run: the mock's device (its IOMMU and features) and how QEMU plugs it (its QEMU id, PCI slot
 * on the root bus, and the vfio-pci properties that matter).
 *
 * @param name                    the mock device's name, also QEMU's {@code id} (letters, digits, {@code -_.})
 * @param iommu                   the IOMMU it sits behind (the lab's: {@link IommuSpec#of}, which translates every IOVA QEMU maps)
 * @param vfDirtyTracking         device (VF) DMA logging supported
 * @param migration               VFIO migration supported
 * @param p2p                     the P2P migration states supported
 * @param enableMigration         vfio-pci {@code enable-migration} ({@code on}, {@code off}, {@code auto}), or null for
 *                                QEMU's default
 * @param deviceDirtyPageTracking vfio-pci {@code x-device-dirty-page-tracking}, or null for QEMU's default
 * @param slot                    PCI slot on bus {@code pci.0}, {@value #FIRST_SLOT} to {@value #LAST_SLOT}: 0 to 2 are
 *                                the machine's, and the unplug writes the slot's bit with HMP {@code o /w} (16 bits;
 *                                HMP's {@code o} has no 32-bit form)
 */
public record LabDevice(String name, IommuSpec iommu, boolean vfDirtyTracking, boolean migration, boolean p2p,
                        String enableMigration, String deviceDirtyPageTracking, int slot) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,30}");
    /** First slot the lab uses; QEMU's {@code pc} machine has the host bridge, PIIX3/4 and nothing else below it. */
    public static final int FIRST_SLOT = 3;
    /** Last slot the lab uses: the eject bit must fit the 16-bit write HMP can make. */
    public static final int LAST_SLOT = 15;

    public LabDevice {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(iommu, "iommu");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("device name '" + name + "' must be a QEMU id: a letter, then up to 30"
                    + " letters, digits, '-', '_' or '.'");
        }
        checkOnOffAuto(name, "enableMigration", enableMigration);
        checkOnOffAuto(name, "deviceDirtyPageTracking", deviceDirtyPageTracking);
        if (slot < FIRST_SLOT || slot > LAST_SLOT) {
            throw new IllegalArgumentException("device " + name + ": PCI slot " + slot + " is outside " + FIRST_SLOT + ".."
                    + LAST_SLOT);
        }
    }

    private static void checkOnOffAuto(String name, String what, String v) {
        if (v != null && !(v.equals("on") || v.equals("off") || v.equals("auto"))) {
            throw new IllegalArgumentException("device " + name + ": " + what + " '" + v + "' is not on, off or auto");
        }
    }

    /** A migratable device with P2P, no VF logging, QEMU's defaults, in {@code slot}. */
    public static LabDevice of(String name, IommuSpec iommu, int slot) {
        return new LabDevice(name, iommu, false, true, true, null, null, slot);
    }

    public LabDevice withVfDirtyTracking(boolean v) {
        return new LabDevice(name, iommu, v, migration, p2p, enableMigration, deviceDirtyPageTracking, slot);
    }

    public LabDevice withMigration(boolean v) {
        return new LabDevice(name, iommu, vfDirtyTracking, v, p2p, enableMigration, deviceDirtyPageTracking, slot);
    }

    public LabDevice withEnableMigration(String v) {
        return new LabDevice(name, iommu, vfDirtyTracking, migration, p2p, v, deviceDirtyPageTracking, slot);
    }

    /** The mock's device. */
    public DeviceSpec spec() {
        return new DeviceSpec(name, iommu, false, vfDirtyTracking, migration, p2p);
    }

    /** The bit of this slot in the PIIX4 ACPI eject register. */
    public long ejectBit() {
        return 1L << slot;
    }
}
