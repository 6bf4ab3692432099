package io.github.iommufd4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code new-backend NAME}: copies the backend template (the {@code backend-template} folder of the repository,
 * packed into this jar) into a new Maven project, renamed: a provider registered with AutoService that decorates
 * the mock, the TCK wired three ways, a README and a switch that breaks it on purpose.
 */
@Command(name = "new-backend", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Creates a Maven project for a backend of your own: a provider registered with AutoService"
                + " (starting as a decorator of the mock, so the TCK passes at once), the TCK wired three ways"
                + " (a test class, Surefire dependenciesToScan, ./run-tck on the command line), a README, and the"
                + " option deliberately-broken=true to watch the TCK fail.",
                "Needs the iommufd4j artifacts in your local Maven repository: mvn -B -DskipTests install in the"
                        + " iommufd4j clone."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:created", "1:internal error", "2:invalid name or options, or the directory is not empty"})
final class NewBackendCommand implements Callable<Integer> {
    /** Where the template lies in this jar. */
    static final String TEMPLATE = "backend-template";
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,30}");
    private static final Pattern PACKAGE = Pattern.compile("[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)*");
    private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9_.-]+");
    /** The template's own names, replaced in file contents and paths. */
    private static final String T_PACKAGE = "com.example.acme";
    private static final String T_CLASS = "Acme";
    private static final String T_NAME = "acme";
    private static final String T_GROUP = "<groupId>com.example</groupId>";
    private static final String T_VERSION = "<iommufd4j.version>0.1.0-SNAPSHOT</iommufd4j.version>";
    private static final String T_LAUNCHER = "${IOMMUFD4J:-iommufd4j}";

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "The backend's provider name: lower-case letters, digits and '-'"
            + " (such as mybackend); the class prefix and the package are made from it.")
    String name;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to create the project (default: ./iommufd4j-backend-NAME);"
            + " it must not exist or be empty.")
    Path dir;

    @Option(names = "--package", paramLabel = "PKG", description = "The Java package (default: com.example.NAME without '-').")
    String packageName;

    @Option(names = "--group-id", paramLabel = "GROUP", defaultValue = "com.example",
            description = "The Maven groupId (default: ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--verbose", description = "Print the stack trace of an internal error.")
    boolean verbose;

    @Override
    public Integer call() {
        return CommandErrors.run(spec, verbose, this::create);
    }

    private int create() {
        if (!NAME.matcher(name).matches()) {
            throw new CommandErrors.InvalidInput("new-backend: '" + name + "' is not a backend name: lower-case letters,"
                    + " digits and '-', starting with a letter, at most 31 characters (such as mybackend)");
        }
        String pkg = packageName == null ? "com.example." + name.replace("-", "") : packageName;
        if (!PACKAGE.matcher(pkg).matches()) {
            throw new CommandErrors.InvalidInput("new-backend: --package '" + pkg + "' is not a lower-case Java package name");
        }
        if (!GROUP.matcher(groupId).matches()) {
            throw new CommandErrors.InvalidInput("new-backend: --group-id '" + groupId + "' is not a Maven groupId");
        }
        Path target = dir == null ? Path.of("iommufd4j-backend-" + name) : dir;
        if (Files.exists(target) && !isEmptyDirectory(target)) {
            throw new CommandErrors.InvalidInput("new-backend: " + target + " exists and is not an empty directory;"
                    + " choose another with --dir");
        }
        String className = className(name);
        Map<String, String> replacements = Map.of(
                "package", pkg, "className", className, "launcher", launcher(), "version", Main.Version.version());
        List<Path> written = copyTemplate(target, replacements);
        PrintWriter out = spec.commandLine().getOut();
        out.println("created " + target + ": backend '" + name + "', " + pkg + "." + className + "BackendProvider, "
                + groupId + ":iommufd4j-backend-" + name + " (" + written.size() + " files)");
        out.println("next:");
        out.println("  cd " + target);
        out.println("  mvn -B verify                                           # the TCK two ways: a test class and dependenciesToScan");
        out.println("  ./run-tck                                               # the TCK on the command line");
        out.println("  mvn -B verify -Diommufd4j.backend.options=deliberately-broken=true   # see it fail: K-ATT-2");
        out.println("then read " + target.resolve("README.md"));
        notInstalledNote().ifPresent(note -> spec.commandLine().getErr().println(note));
        return 0;
    }

    /**
     * A note when the iommufd4j artifacts of this version are not in the default local Maven repository: the new
     * project cannot build without them.
     */
    private static java.util.Optional<String> notInstalledNote() {
        String version = Main.Version.version();
        Path bom = Path.of(System.getProperty("user.home"), ".m2", "repository", "io", "github", "iommufd4j",
                "iommufd4j-bom", version, "iommufd4j-bom-" + version + ".pom");
        if (Files.exists(bom)) {
            return java.util.Optional.empty();
        }
        String home = System.getenv("IOMMUFD4J_HOME");
        return java.util.Optional.of("note: iommufd4j " + version + " is not in your local Maven repository (" + bom.getParent()
                + " is missing); the project builds once it is: mvn -B -DskipTests install in "
                + (home == null || home.isBlank() ? "your iommufd4j clone" : home));
    }

    private static boolean isEmptyDirectory(Path p) {
        if (!Files.isDirectory(p)) {
            return false;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Takes back a copy that failed half-way: everything below {@code target} (empty or absent before), and
     * {@code target} itself unless it {@code existed}.
     */
    private static void removeWritten(Path target, boolean existed) {
        if (!Files.isDirectory(target)) {
            return;
        }
        try (Stream<Path> all = Files.walk(target)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!existed || !p.equals(target)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException ignored) {
            // best effort: the error that stopped the copy is the one reported
        }
    }

    /** {@code my-backend} is {@code MyBackend}. */
    static String className(String name) {
        StringBuilder sb = new StringBuilder();
        for (String part : name.split("-")) {
            if (!part.isEmpty()) {
                sb.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
            }
        }
        return sb.toString();
    }

    /** The launcher this command was started from (exported by it), else whatever {@code iommufd4j} is on the PATH. */
    private static String launcher() {
        String home = System.getenv("IOMMUFD4J_HOME");
        return home == null || home.isBlank() ? "iommufd4j" : Path.of(home, "iommufd4j").toAbsolutePath().toString();
    }

    private List<Path> copyTemplate(Path target, Map<String, String> r) {
        boolean existed = Files.exists(target);
        URL url = NewBackendCommand.class.getResource(TEMPLATE);
        if (url == null) {
            throw new IllegalStateException("the backend template is missing from the command's jar");
        }
        try {
            URI uri = url.toURI();
            if (uri.getScheme().equals("jar")) {
                try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
                    return copyTree(jar.provider().getPath(uri), target, r);
                }
            }
            return copyTree(Path.of(uri), target, r);
        } catch (IOException e) {
            removeWritten(target, existed);
            throw new CommandErrors.InvalidInput("new-backend: cannot create " + target + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + "; nothing was left behind");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<Path> copyTree(Path template, Path target, Map<String, String> r) throws IOException {
        List<Path> written = new ArrayList<>();
        String pkgPath = r.get("package").replace('.', '/');
        List<Path> files;
        try (Stream<Path> s = Files.walk(template)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            String relative = template.relativize(f).toString().replace('\\', '/')
                    .replace(T_PACKAGE.replace('.', '/'), pkgPath).replace(T_CLASS, r.get("className"));
            Path out = target.resolve(relative);
            Files.createDirectories(out.getParent());
            Files.writeString(out, rewrite(Files.readString(f, StandardCharsets.UTF_8), r), StandardCharsets.UTF_8);
            if (relative.equals("run-tck")) {
                try {
                    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
                } catch (UnsupportedOperationException e) {
                    out.toFile().setExecutable(true);
                }
            }
            written.add(out);
        }
        Path gitignore = target.resolve(".gitignore");
        Files.writeString(gitignore, "target/\n");
        written.add(gitignore);
        return written;
    }

    /** Every template name replaced in one pass, so a replacement that contains a template name stays as given. */
    private String rewrite(String text, Map<String, String> r) {
        Map<String, String> replacements = new java.util.LinkedHashMap<>();
        replacements.put(T_PACKAGE, r.get("package"));
        replacements.put(T_GROUP, "<groupId>" + groupId + "</groupId>");
        replacements.put(T_VERSION, "<iommufd4j.version>" + r.get("version") + "</iommufd4j.version>");
        replacements.put(T_LAUNCHER, "${IOMMUFD4J:-" + r.get("launcher") + "}");
        replacements.put(T_CLASS, r.get("className"));
        replacements.put(T_NAME, name);
        java.util.regex.Matcher m = Pattern.compile(String.join("|",
                replacements.keySet().stream().map(Pattern::quote).toList())).matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, java.util.regex.Matcher.quoteReplacement(replacements.get(m.group())));
        }
        return m.appendTail(sb).toString();
    }
}
