package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DmaSimulation;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where the {@code linux} backend's devices come from, and how a device of that kind is bound, attached and
 * released. {@link LinuxBackend} makes the iommufd calls every source shares (IOAS, HWPT, dirty tracking,
 * GET_HW_INFO, destroy) and hands device calls to the {@link SourceDevice} the source bound, never asking which
 * source it is.
 *
 * <p>Sources: {@link VfioCdevSource} ({@code source=vfio}: VFIO cdevs of PCI devices), {@link SelftestSource}
 * ({@code source=selftest}: the kernel's selftest mock devices), and {@link MdevSource} ({@code mdev=<type>}:
 * mediated devices made through sysfs, in front of one of the others). A new source is one new class
 * implementing this interface, usually with a {@link VfioCdevDevice} for what it binds, and one {@code case}
 * where {@link LinuxBackend} picks the source.
 *
 * <p>Sources are called under the backend's monitor; abilities they hand out take it themselves.
 */
interface DeviceSource {

    /** The references {@link #bind} accepts, for {@code deviceRefs()}. */
    List<String> deviceRefs();

    /**
     * Opens the device {@code ref} names and binds it to the iommufd; on failure nothing stays open.
     *
     * @throws io.github.iommufd4j.api.IommufdException with op {@code BIND}
     */
    SourceDevice bind(String ref);

    /** The kinds of device {@link #bind} makes (which calls kernel-made faults can fail, {@link FailNthTable}). */
    Set<SourceKind> kinds();

    /** The kind of device {@code ref} names, or null when this source does not know it. */
    SourceKind kindOf(String ref);

    /**
     * Undoes what the source made outside the iommufd (mdevs in sysfs), after every device it bound was released;
     * returns what failed, for {@link LinuxBackend#close()}'s message.
     */
    default List<String> close() {
        return List.of();
    }

    /** Making devices, if this source can. */
    default Optional<DeviceProvisioning> provisioning() {
        return Optional.empty();
    }

    /** Simulating device DMA, if this source can. */
    default Optional<DmaSimulation> dmaSimulation() {
        return Optional.empty();
    }
}
