package io.github.iommufd4j.cli;

import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The jars and class directories a user adds with {@code --class-path} (or {@code IOMMUFD4J_CLASS_PATH}): entries
 * separated by {@value File#pathSeparator}, each a jar, a class directory, or {@code DIR/*} for every jar in DIR.
 * Backends found there with {@link java.util.ServiceLoader} join the built-in ones.
 */
final class UserClassPath {
    private UserClassPath() {
    }

    /**
     * The URLs of {@code text}'s entries, in order.
     *
     * @throws CommandErrors.InvalidInput naming the first entry that does not exist or is neither a jar nor a directory
     */
    static List<URL> parse(String text) {
        List<URL> urls = new ArrayList<>();
        for (String entry : text.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            if (entry.endsWith("/*") || entry.equals("*")) {
                Path dir = Path.of(entry.length() == 1 ? "." : entry.substring(0, entry.length() - 2));
                if (!Files.isDirectory(dir)) {
                    throw new CommandErrors.InvalidInput("--class-path: " + entry + ": no such directory");
                }
                try (Stream<Path> jars = Files.list(dir)) {
                    for (Path jar : jars.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                        urls.add(url(jar));
                    }
                } catch (IOException e) {
                    throw new CommandErrors.InvalidInput("--class-path: " + entry + ": cannot list the directory: " + e.getMessage());
                }
                continue;
            }
            Path p = Path.of(entry);
            if (!Files.exists(p)) {
                throw new CommandErrors.InvalidInput("--class-path: " + entry + ": no such file or directory");
            }
            if (!Files.isDirectory(p) && !entry.endsWith(".jar")) {
                throw new CommandErrors.InvalidInput("--class-path: " + entry + ": neither a jar nor a directory");
            }
            urls.add(url(p));
        }
        return urls;
    }

    private static URL url(Path p) {
        try {
            return p.toAbsolutePath().normalize().toUri().toURL();
        } catch (MalformedURLException e) {
            throw new CommandErrors.InvalidInput("--class-path: " + p + ": " + e.getMessage());
        }
    }

    /** A class loader over {@code urls} whose parent is the command's own. */
    static URLClassLoader loader(List<URL> urls) {
        return new URLClassLoader("iommufd4j user class path", urls.toArray(URL[]::new), Main.class.getClassLoader());
    }
}
