package io.github.iommufd4j.cli;

import io.github.iommufd4j.api.IommufdBackendProvider;
import io.github.iommufd4j.backend.mock.MockBackendProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * A third-party backend jar, compiled at test time so that it is on no class path but the one given with
 * {@code --class-path}: provider {@code recorder}, a decorator of the mock whose option {@code break=true} makes an
 * incompatible ATTACH answer EBUSY instead of EINVAL (K-ATT-2).
 */
final class UserJar {
    private static final String PROVIDER = """
            package com.example.recorder;

            import io.github.iommufd4j.api.*;
            import io.github.iommufd4j.backend.mock.MockBackendProvider;
            import java.util.Map;

            public final class RecorderProvider implements IommufdBackendProvider {
                public String name() { return "recorder"; }
                public String description() { return "the mock, decorated"; }
                public Availability availability() { return Availability.yes(); }
                public IommufdBackend open(BackendOptions options) {
                    Map<String, String> o = options.asMap();
                    for (String key : o.keySet()) {
                        if (!key.equals("break")) {
                            throw new IllegalArgumentException("backend 'recorder' has no option '" + key + "'");
                        }
                    }
                    boolean broken = Boolean.parseBoolean(o.getOrDefault("break", "false"));
                    return new ForwardingIommufdBackend(new MockBackendProvider().open(BackendOptions.empty())) {
                        @Override public String providerName() { return "recorder"; }
                        @Override public int attach(int devId, int ptId) {
                            try {
                                return super.attach(devId, ptId);
                            } catch (IommufdException e) {
                                if (broken && e.errno() == Errno.EINVAL) {
                                    throw new IommufdException(BackendOp.ATTACH, e.arguments(), Errno.EBUSY);
                                }
                                throw e;
                            }
                        }
                    };
                }
            }
            """;

    private UserJar() {
    }

    /** Compiles the provider into {@code dir} and returns the jar. */
    static Path build(Path dir) {
        try {
            Path src = dir.resolve("src/com/example/recorder/RecorderProvider.java");
            Files.createDirectories(src.getParent());
            Files.writeString(src, PROVIDER);
            Path classes = dir.resolve("classes");
            Files.createDirectories(classes);
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            String cp = location(IommufdBackendProvider.class) + java.io.File.pathSeparator + location(MockBackendProvider.class);
            int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", cp, src.toString());
            if (rc != 0) {
                throw new IllegalStateException("javac failed with " + rc);
            }
            Path services = classes.resolve("META-INF/services/" + IommufdBackendProvider.class.getName());
            Files.createDirectories(services.getParent());
            Files.writeString(services, "com.example.recorder.RecorderProvider\n");
            Path jar = dir.resolve("recorder.jar");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(classes)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, (OutputStream) out);
                    out.closeEntry();
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> args(Path jar, String... rest) {
        return Stream.concat(Stream.of("--class-path", jar.toString()), Stream.of(rest)).toList();
    }
}
