package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DmaSimulation;

import java.util.List;
import java.util.Optional;

/**
 * Where the {@code linux} backend's devices come from, and how a device of that kind is bound, attached and
 * released. {@link LinuxBackend} makes the iommufd calls every source shares (IOAS, HWPT, dirty tracking,
 * GET_HW_INFO, destroy) and hands device calls to the {@link SourceDevice} the source bound, never asking which
 * source it is.
 *
 * <p>Sources: {@link VfioCdevSource} ({@code source=vfio}: VFIO cdevs of PCI devices), {@link SelftestSource}
 * ({@code source=selftest}: the kernel's selftest mock devices). A new source (say mediated devices through
 * sysfs) is one new class implementing this interface, usually with a {@link VfioCdevDevice} for what it binds,
 * and one line where {@link LinuxBackendProvider} picks the source.
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

    /** Making devices, if this source can. */
    default Optional<DeviceProvisioning> provisioning() {
        return Optional.empty();
    }

    /** Simulating device DMA, if this source can. */
    default Optional<DmaSimulation> dmaSimulation() {
        return Optional.empty();
    }
}
