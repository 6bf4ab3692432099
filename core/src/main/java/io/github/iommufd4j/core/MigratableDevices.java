package io.github.iommufd4j.core;

/**
 * Q-MIG-4's inputs ({@code docs/reference/qemu-rules.md}), kept as devices come and go so the decision does not
 * walk every attached device: how many attached devices initialised VFIO migration (QEMU's
 * {@code vfio_migratable_devices_num}), and how many of those lack the P2P states. Guarded by the
 * {@link VfioIommufd} lock.
 */
final class MigratableDevices {
    private int initialized;
    private int withoutP2p;

    /** {@code dev} was realized; it counts if it initialised migration. */
    void add(VfioDevice dev) {
        if (dev.migrationInitialized) {
            initialized++;
            withoutP2p += dev.bound.features().p2p() ? 0 : 1;
        }
    }

    /** {@code dev}, counted by {@link #add}, left. */
    void remove(VfioDevice dev) {
        if (dev.migrationInitialized) {
            initialized--;
            withoutP2p -= dev.bound.features().p2p() ? 0 : 1;
        }
    }

    /**
     * Q-MIG-4 for {@code dev}, not counted yet: at most one migratable device with it, or every migratable device
     * supports P2P.
     */
    boolean multipleDevicesSupported(VfioDevice dev) {
        return initialized == 0 || (dev.bound.features().p2p() && withoutP2p == 0);
    }
}
