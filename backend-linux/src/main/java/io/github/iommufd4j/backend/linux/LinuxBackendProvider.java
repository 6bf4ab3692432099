package io.github.iommufd4j.backend.linux;

import com.google.auto.service.AutoService;
import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.BackendOptions;
import io.github.iommufd4j.api.BackendUnavailableException;
import io.github.iommufd4j.api.Errno;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.backend.linux.sys.Ioctls;

import java.util.Locale;

/**
 * The {@code linux} backend: the kernel's iommufd ({@code /dev/iommu}) with devices from VFIO cdevs or from
 * the kernel's selftest mock. Options are those of {@link LinuxOptions}; {@code README.md} of this module
 * explains them.
 */
@AutoService(IommufdBackendProvider.class)
public final class LinuxBackendProvider implements IommufdBackendProvider {
    /** The provider name. */
    public static final String NAME = "linux";

    private final LinuxHost host;

    /** The provider for this machine. */
    public LinuxBackendProvider() {
        this(LinuxHost.real());
    }

    LinuxBackendProvider(LinuxHost host) {
        this.host = host;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Linux iommufd (/dev/iommu) through JNA; devices from VFIO cdevs or the kernel's selftest mock";
    }

    @Override
    public Availability availability() {
        try {
            Ioctls sys = loadIoctls();
            int fd = sys.open(host.iommuDevice(), Ioctls.O_RDWR | Ioctls.O_CLOEXEC);
            if (fd < 0) {
                return Availability.no(openFailure(-fd));
            }
            sys.close(fd);
            return Availability.yes();
        } catch (BackendUnavailableException e) {
            return Availability.no(e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            return Availability.no("probing " + host.iommuDevice() + " failed: " + e);
        }
    }

    @Override
    public IommufdBackend open(BackendOptions options) {
        LinuxOptions parsed = LinuxOptions.parse(options);
        Ioctls sys = loadIoctls();
        int fd = sys.open(host.iommuDevice(), Ioctls.O_RDWR | Ioctls.O_CLOEXEC);
        if (fd < 0) {
            throw new BackendUnavailableException(openFailure(-fd));
        }
        try {
            return new LinuxBackend(host, sys, fd, parsed);
        } catch (RuntimeException e) { // the source's check at open (BackendUnavailableException) among them
            sys.close(fd);
            throw e;
        }
    }

    private Ioctls loadIoctls() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(Locale.ROOT).contains("linux")) {
            throw new BackendUnavailableException("iommufd exists only on Linux; this is " + os);
        }
        try {
            return host.ioctls().get();
        } catch (LinkageError e) {
            throw new BackendUnavailableException("JNA cannot load its native library: " + e, e);
        }
    }

    private String openFailure(int errno) {
        String dev = host.iommuDevice();
        if (errno == Errno.ENOENT.number() || errno == Errno.ENXIO.number() || errno == Errno.ENODEV.number()) {
            return dev + " is missing: the kernel has no CONFIG_IOMMUFD (or the iommufd module is not loaded)";
        }
        if (errno == Errno.EACCES.number() || errno == Errno.EPERM.number()) {
            return dev + ": permission denied: run as root or give this user read-write access to " + dev;
        }
        return "cannot open " + dev + ": " + KernelCalls.errnoName(errno);
    }

}
