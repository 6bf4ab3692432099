package io.github.iommufd4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code iommufd4j} command: {@code simulate} scenario files, list {@code backends}, {@code probe} a
 * backend's devices, run the {@code tck}, start a backend with {@code new-backend}. Every command loads user jars
 * given with {@code --class-path} or {@value #CLASS_PATH_ENV}. Exit status: 0 ran, 1 internal error, 2 invalid
 * input, 3 lost dirty pages with {@code --fail-on-lost}, 4 leaked objects with {@code --fail-on-leak}, 5 a TCK
 * rule failed.
 */
@Command(name = "iommufd4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "QEMU's iommufd HWPT and dirty-tracking rules, simulated on pluggable backends.",
        footerHeading = "%nEnvironment:%n",
        footer = {"  " + Main.CLASS_PATH_ENV + "  the default of --class-path: jars and class",
                "                        directories of your own backends, separated by ':'"},
        subcommands = {SimulateCommand.class, CompareCommand.class, BackendsCommand.class, ProbeCommand.class,
                TckCommand.class, NewBackendCommand.class,
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

    /** The environment variable giving the default of {@code --class-path}. */
    public static final String CLASS_PATH_ENV = "IOMMUFD4J_CLASS_PATH";

    @Spec
    CommandSpec spec;

    @Option(names = "--class-path", paramLabel = "PATH", scope = ScopeType.INHERIT,
            defaultValue = "${env:" + CLASS_PATH_ENV + "}",
            description = {"Jars and class directories to load backends from (with their dependencies), separated by"
                    + " ':'; DIR/* is every jar in DIR. Given on any command. Default: $" + CLASS_PATH_ENV + "."})
    String classPath;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: give one of simulate, compare, backends, probe,"
                + " tck, new-backend");
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(commandLine(CommandLine.defaultFactory()).execute(args));
    }

    /**
     * The command line: after parsing, the user's class path is installed as the thread's context class loader
     * (where {@link java.util.ServiceLoader} finds backends) for as long as the command runs.
     */
    static CommandLine commandLine(CommandLine.IFactory factory) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main, factory);
        cl.setExecutionStrategy(parseResult -> main.runWithUserClassPath(cl, parseResult));
        return cl;
    }

    private int runWithUserClassPath(CommandLine cl, CommandLine.ParseResult parseResult) {
        if (classPath == null || classPath.isBlank()) {
            return new CommandLine.RunLast().execute(parseResult);
        }
        List<URL> urls;
        try {
            urls = UserClassPath.parse(classPath);
        } catch (CommandErrors.InvalidInput e) {
            PrintWriter err = cl.getErr();
            err.println(e.getMessage());
            err.flush();
            return EXIT_INVALID;
        }
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        URLClassLoader loader = UserClassPath.loader(urls);
        thread.setContextClassLoader(loader);
        try {
            return new CommandLine.RunLast().execute(parseResult);
        } finally {
            thread.setContextClassLoader(before);
            try {
                loader.close();
            } catch (IOException e) {
                // the command has run; a jar that cannot be closed changes nothing about its result
            }
        }
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
