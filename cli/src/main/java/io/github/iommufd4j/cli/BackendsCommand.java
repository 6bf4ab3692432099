package io.github.iommufd4j.cli;

import io.github.iommufd4j.api.Availability;
import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.api.IommufdBackends;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code backends}: every backend provider on the class path, whether it can run here and why not. */
@Command(name = "backends", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Lists the backend providers found, whether each can run on this machine, and why not.")
final class BackendsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", description = "Print the stack trace of an internal error.")
    boolean verbose;

    @Override
    public Integer call() {
        return CommandErrors.run(spec, verbose, () -> {
            PrintWriter out = spec.commandLine().getOut();
            List<IommufdBackendProvider> providers = IommufdBackends.providers();
            if (providers.isEmpty()) {
                out.println("no backend providers found (is a backend jar on the class path?)");
            }
            for (IommufdBackendProvider p : providers) {
                Availability a = p.availability();
                out.println(p.name() + "\t" + (a.available() ? "available" : "unavailable: " + a.reason()));
                out.println("\t" + p.description());
            }
            return 0;
        });
    }
}
