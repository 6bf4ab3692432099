package io.github.iommufd4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code iommufd4j} command: {@code simulate} scenario files, list {@code backends}, {@code probe} a
 * backend's devices. Exit status: 0 ran, 1 internal error, 2 invalid input, 3 lost dirty pages with
 * {@code --fail-on-lost}, 4 leaked objects with {@code --fail-on-leak}.
 */
@Command(name = "iommufd4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "QEMU's iommufd HWPT and dirty-tracking rules, simulated on pluggable backends.",
        subcommands = {SimulateCommand.class, CompareCommand.class, BackendsCommand.class, ProbeCommand.class, TckCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:ran", "1:internal error", "2:invalid scenario or arguments",
                "3:lost dirty pages (simulate --fail-on-lost)", "4:leaked backend objects (simulate --fail-on-leak)", "5:a TCK rule failed (tck)"})
public final class Main implements Runnable {
    /** Exit status: an unexpected internal error. */
    public static final int EXIT_INTERNAL = 1;
    /** Exit status: an invalid scenario or unusable arguments. */
    public static final int EXIT_INVALID = 2;
    /** Exit status: lost dirty pages with {@code --fail-on-lost}. */
    public static final int EXIT_LOST = 3;
    /** Exit status: leaked objects with {@code --fail-on-leak}. */
    public static final int EXIT_LEAK = 4;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: give one of simulate, compare, backends, probe, tck");
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    /** The project version, from the jar's build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"iommufd4j " + version(), "Java " + System.getProperty("java.version")};
        }

        static String version() {
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    Properties p = new Properties();
                    p.load(in);
                    String v = p.getProperty("version");
                    if (v != null && !v.startsWith("$")) {
                        return v;
                    }
                }
            } catch (IOException e) {
                // fall through to the manifest
            }
            String v = Main.class.getPackage().getImplementationVersion();
            return v == null ? "unknown" : v;
        }
    }
}
