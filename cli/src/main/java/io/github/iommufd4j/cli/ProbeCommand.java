package io.github.iommufd4j.cli;

import io.github.iommufd4j.api.BoundDevice;
import io.github.iommufd4j.api.HostIommuDevice;
import io.github.iommufd4j.api.IommufdBackend;
import io.github.iommufd4j.api.IommufdException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code probe}: opens a backend and, for every device it can see, binds it, reads {@code IOMMU_GET_HW_INFO}
 * and prints the IOMMU type, capabilities and the device's features, then unbinds it.
 */
@Command(name = "probe", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Binds every device a backend can see and prints its IOMMU type, capabilities and features.")
final class ProbeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    BackendChoice backend;

    @Option(names = "--verbose", description = "Print the stack trace of an internal error.")
    boolean verbose;

    @Override
    public Integer call() {
        return CommandErrors.run(spec, verbose, this::probe);
    }

    private int probe() {
        PrintWriter out = spec.commandLine().getOut();
        try (IommufdBackend b = backend.open("probe")) {
            List<String> refs = b.deviceRefs();
            out.println("backend " + b.providerName() + ": " + refs.size() + (refs.size() == 1 ? " device" : " devices"));
            if (refs.isEmpty()) {
                out.println(b.provisioning().isPresent()
                        ? "  no devices: this backend makes its devices from a scenario (iommufd4j simulate FILE)"
                        : "  no devices visible to this backend");
            }
            for (String ref : refs) {
                probeDevice(out, b, ref);
            }
        }
        return 0;
    }

    private static void probeDevice(PrintWriter out, IommufdBackend b, String ref) {
        BoundDevice dev;
        try {
            dev = b.bind(ref);
        } catch (IommufdException e) {
            out.println("  " + ref + ": BIND failed: " + e.getMessage());
            return;
        }
        try {
            out.println("  " + ref + " (dev id " + dev.devId() + (dev.mdev() ? ", mdev" : "")
                    + (dev.iommuInstance() == null ? "" : ", iommu " + dev.iommuInstance())
                    + (dev.group() == null ? "" : ", group " + dev.group()) + ")");
            try {
                HostIommuDevice hw = b.getHwInfo(dev.devId());
                out.println("    type:     " + hw.hwInfoType() + " (0x" + Integer.toHexString(hw.hwInfoTypeCode()) + ")");
                out.println("    caps:     " + hw.capabilities());
            } catch (IommufdException e) {
                out.println("    GET_HW_INFO failed: " + e.getMessage());
            }
            out.println("    features: migration " + dev.features().migration() + ", dma logging "
                    + dev.features().dmaLogging() + ", p2p " + dev.features().p2p());
        } finally {
            b.unbind(dev.devId());
        }
    }
}
