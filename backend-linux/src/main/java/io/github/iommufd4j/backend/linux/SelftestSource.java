package io.github.iommufd4j.backend.linux;

import io.github.iommufd4j.api.BackendOp;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.DeviceFeatures;
import io.github.iommufd4j.api.DeviceProvisioning;
import io.github.iommufd4j.api.DeviceSpec;
import io.github.iommufd4j.api.DmaSimulation;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdException;
import io.github.iommufd4j.backend.linux.sys.Ioctls;
import io.github.iommufd4j.backend.linux.sys.NativeStruct;
import io.github.iommufd4j.backend.linux.uapi.IoasAlloc;
import io.github.iommufd4j.backend.linux.uapi.IommuTestCmd;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code source=selftest}: devices of the kernel's selftest mock ({@code CONFIG_IOMMUFD_TEST},
 * {@code IOMMU_TEST_CMD}; "The kernel's selftest mock" in {@code docs/reference/kernel-uapi.md}). Devices are
 * specified first ({@link SelftestProvisioning}) and made at {@link #bind}: {@code MOCK_DOMAIN_FLAGS} makes,
 * binds and attaches a mock device to a private parking IOAS this source allocates on first use. (Made
 * earlier, the device would hold kernel ids while the API says it is not bound.) {@link SelftestDmaSimulation}
 * marks pages dirty with the {@code DIRTY} test op.
 *
 * <p>The mock IOMMU's geometry is fixed, and named here: aperture {@link #APERTURE_START} to
 * {@link #APERTURE_LAST}, IOPTE size half the host page.
 */
final class SelftestSource implements DeviceSource {
    /** The selftest mock IOMMU's aperture start: 16 MiB. */
    static final long APERTURE_START = 1L << 24;
    /** The selftest mock IOMMU's aperture end: 2 GiB - 1. */
    static final long APERTURE_LAST = (1L << 31) - 1;

    private final KernelCalls kernel;
    private final ObjectTable objects;
    /** Devices specified by createDevice, by name. */
    private final Map<String, DeviceSpec> specs = new LinkedHashMap<>();
    private final SelftestProvisioning provisioning;
    private final SelftestDmaSimulation dma;
    /** Whether a spec's VF dirty tracking is reported as given ({@code vfLogging=declared}) rather than refused. */
    private final boolean vfLoggingDeclared;
    /** The IOAS where mock devices wait while not attached (0 until first needed). */
    private int parkingIoas;

    /**
     * The source over {@code kernel}, after checking that the kernel has {@code IOMMU_TEST_CMD}.
     *
     * @param lock              the backend's monitor, which the abilities take
     * @param vfLoggingDeclared whether a spec's VF dirty tracking is reported as given ({@code vfLogging=declared})
     * @throws BackendUnavailableException when it has not
     */
    SelftestSource(KernelCalls kernel, ObjectTable objects, Object lock, boolean vfLoggingDeclared) {
        String why = unavailable(kernel.sys, kernel.iommufd);
        if (why != null) {
            throw new BackendUnavailableException(why);
        }
        this.kernel = kernel;
        this.objects = objects;
        this.vfLoggingDeclared = vfLoggingDeclared;
        this.provisioning = new SelftestProvisioning(this, lock);
        this.dma = new SelftestDmaSimulation(kernel, objects, this, lock);
    }

    /** Null when {@code IOMMU_TEST_CMD} exists on {@code iommufd}, else why not. */
    static String unavailable(Ioctls sys, int iommufd) {
        // An op no kernel defines: EOPNOTSUPP from the test command, ENOTTY when the command does not exist.
        int errno = sys.ioctl(iommufd, IommuTestCmd.REQUEST, IommuTestCmd.op(0, 0));
        if (errno == Errno.ENOTTY.number()) {
            return "the selftest device source needs IOMMU_TEST_CMD, which answered ENOTTY: kernel built without "
                    + "CONFIG_IOMMUFD_TEST (no distribution kernel enables it; see kernel-lab/README.md)";
        }
        if (errno != Errno.EOPNOTSUPP.number() && errno != 0) {
            return "probing IOMMU_TEST_CMD failed with " + KernelCalls.errnoName(errno);
        }
        return null;
    }

    @Override
    public List<String> deviceRefs() {
        return List.copyOf(specs.keySet());
    }

    @Override
    public Set<SourceKind> kinds() {
        return Set.of(SourceKind.SELFTEST);
    }

    @Override
    public SourceKind kindOf(String ref) {
        return specs.containsKey(ref) ? SourceKind.SELFTEST : null;
    }

    /** {@code MOCK_DOMAIN_FLAGS} in the parking IOAS ({@code MOCK_FLAGS_DEVICE_NO_DIRTY} without dirty tracking). */
    @Override
    public SourceDevice bind(String ref) {
        DeviceSpec spec = specs.get(ref);
        if (spec == null) {
            throw new IommufdException(BackendOp.BIND, ref, Errno.ENOENT, Errno.ENOENT.number(),
                    "no selftest device of that name; make it with provisioning().createDevice(spec) first");
        }
        for (SourceDevice d : objects.devices()) {
            if (d.info().name().equals(ref)) {
                throw new IommufdException(BackendOp.BIND, ref, Errno.EINVAL, Errno.EINVAL.number(), "already bound");
            }
        }
        int parking = parkingIoas();
        int flags = spec.iommu().dirtyTracking() ? 0 : IommuTestCmd.MOCK_FLAGS_DEVICE_NO_DIRTY;
        NativeStruct s = IommuTestCmd.mockDomainFlags(parking, flags);
        kernel.call(BackendOp.BIND, ref, IommuTestCmd.REQUEST, s);
        // out_hwpt_id is an auto domain in the parking IOAS: never kept (ids are reused at once).
        DeviceFeatures features = new DeviceFeatures(spec.migration(), vfLoggingDeclared && spec.vfDirtyTracking(), spec.p2p());
        BoundDevice info = new BoundDevice(IommuTestCmd.mockDomainOutIdevId(s), ref, false, features, spec.iommu().id(), null);
        return new SelftestDevice(kernel, this, IommuTestCmd.mockDomainOutStdevId(s), info);
    }

    /** The parking IOAS, allocated on first use. Called under the backend's monitor. */
    int parkingIoas() {
        if (parkingIoas == 0) {
            NativeStruct s = IoasAlloc.encode();
            kernel.callAside(BackendOp.BIND, "parking IOAS for selftest devices", IoasAlloc.REQUEST, s);
            parkingIoas = IoasAlloc.outIoasId(s);
        }
        return parkingIoas;
    }

    /** Whether a spec's VF dirty tracking is reported as given. */
    boolean vfLoggingDeclared() {
        return vfLoggingDeclared;
    }

    /** The host's page size. */
    long hostPageSize() {
        return kernel.sys.pageSize();
    }

    /** The mock IOPTE size: half the host page (2048 on 4 KiB hosts). */
    long iopteSize() {
        return hostPageSize() / 2;
    }

    /** The devices specified so far, by name. Called under the backend's monitor. */
    Map<String, DeviceSpec> specs() {
        return specs;
    }

    void checkOpen() {
        kernel.checkOpen();
    }

    @Override
    public Optional<DeviceProvisioning> provisioning() {
        return Optional.of(provisioning);
    }

    @Override
    public Optional<DmaSimulation> dmaSimulation() {
        return Optional.of(dma);
    }
}
