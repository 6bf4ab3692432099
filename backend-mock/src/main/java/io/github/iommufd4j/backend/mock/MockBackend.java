package io.github.iommufd4j.backend.mock;

import io.github.iommufd4j.api.BackendObject;
import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.FaultInjectingBackend;
import io.github.iommufd4j.api.FaultInjection;
import io.github.iommufd4j.api.ForwardingIommufdBackend;
import io.github.iommufd4j.api.ObjectInventory;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code mock} backend as {@link MockBackendProvider#open} makes it: an in-memory iommufd that answers like
 * Linux 6.12, errno for errno and in the kernel's order of checks ({@code docs/reference/kernel-uapi.md}, rule ids
 * {@code K-...}), with every ability: {@link DeviceProvisioning}, {@link DmaSimulation}, {@link ObjectInventory}
 * and {@link FaultInjection}.
 *
 * <p>It is assembled from two pieces. The kernel's checks are {@code MockKernel}'s, one method per command over
 * named parts (the {@code ObjectTable} and its ids, {@code Ioas}, {@code DomainRules}, {@code DirtyLog},
 * {@code MockProvisioning}, {@code MockDmaSimulation}); fault injection is the api's {@link FaultInjectingBackend}
 * in front of it, the same decorator any backend can be given. Calls pass through that decorator, which counts
 * them and may fail one before the kernel sees it; {@link #failNth}, {@link #clearFaults} and {@link #callCounts}
 * are shorthands for {@code faultInjection().orElseThrow()}.
 *
 * <p>Thread-safe. Choices where the kernel has no answer for a typed call are listed in the module README.
 */
public final class MockBackend extends ForwardingIommufdBackend implements DeviceProvisioning, DmaSimulation,
        ObjectInventory {
    private final FaultInjectingBackend faults;
    private final DeviceProvisioning provisioning;
    private final DmaSimulation dma;
    private final ObjectInventory inventory;

    /** An empty backend with no device made, no fault pending and no call counted. */
    public MockBackend() {
        this(new MockKernel());
    }

    private MockBackend(MockKernel kernel) {
        this(kernel, new FaultInjectingBackend(kernel));
    }

    private MockBackend(MockKernel kernel, FaultInjectingBackend faults) {
        super(faults);
        this.faults = faults;
        this.provisioning = kernel.provisioning().orElseThrow();
        this.dma = kernel.dmaSimulation().orElseThrow();
        this.inventory = kernel.inventory().orElseThrow();
    }

    // ---------------------------------------------------------------- fault injection (the decorator's)

    /** {@link FaultInjection#failNth} of the decorator in front of the kernel. */
    public void failNth(BackendOp op, int nth, Errno errno) {
        faults.failNth(op, nth, errno);
    }

    /** {@link FaultInjection#clearFaults} of the decorator in front of the kernel. */
    public void clearFaults() {
        faults.clearFaults();
    }

    /** {@link FaultInjection#callCounts} of the decorator in front of the kernel. */
    public Map<BackendOp, Long> callCounts() {
        return faults.callCounts();
    }

    // ---------------------------------------------------------------- the kernel's abilities

    /** The mock can make any device: always empty. */
    @Override
    public Optional<String> cannotCreate(DeviceSpec spec) {
        return provisioning.cannotCreate(spec);
    }

    /**
     * Makes the device; its reference is its name. Devices sharing an IOMMU id must agree on the IOMMU.
     *
     * @throws IllegalArgumentException for a name in use or an IOMMU id already described differently
     */
    @Override
    public String createDevice(DeviceSpec spec) {
        return provisioning.createDevice(spec);
    }

    /** A device writes memory; see the module README (DmaSimulation). */
    @Override
    public long dmaWrite(int devId, long iova, long length) {
        return dma.dmaWrite(devId, iova, length);
    }

    @Override
    public List<BackendObject> liveObjects() {
        return inventory.liveObjects();
    }
}
