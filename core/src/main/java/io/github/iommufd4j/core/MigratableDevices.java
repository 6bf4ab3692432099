package io.github.iommufd4j.core;

/**
 * Q-MIG-4's inputs and its VM-wide blocker ({@code docs/reference/qemu-rules.md}), kept as devices come and go so
 * the decision does not walk every attached device: how many attached devices initialised VFIO migration (QEMU's
 * {@code vfio_migratable_device_num}), how many of those lack the P2P states, and whether QEMU's one
 * {@code multiple_devices_migration_blocker} exists. Guarded by the {@link VfioIommufd} lock.
 */
final class MigratableDevices {
    private int initialized;
    private int withoutP2p;
    private boolean p2pBlocker;

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
     * supports P2P ({@code vfio_multiple_devices_migration_is_supported} with {@code dev} in the list).
     */
    boolean multipleDevicesSupported(VfioDevice dev) {
        return initialized == 0 || (dev.bound.features().p2p() && withoutP2p == 0);
    }

    /** Whether the VM-wide P2P blocker exists. */
    boolean p2pBlocked() {
        return p2pBlocker;
    }

    /** The VM-wide P2P blocker was added (by the realize of a device that met the row first). */
    void addP2pBlocker() {
        p2pBlocker = true;
    }

    /**
     * QEMU's {@code vfio_unblock_multiple_devices_migration}, run when a device's migration is torn down (after
     * {@link #remove}): the VM-wide blocker goes once the devices left are supported (at most one migratable, or all
     * with P2P).
     *
     * @return whether the blocker was removed now
     */
    boolean unblockIfSupported() {
        if (p2pBlocker && (initialized <= 1 || withoutP2p == 0)) {
            p2pBlocker = false;
            return true;
        }
        return false;
    }
}
