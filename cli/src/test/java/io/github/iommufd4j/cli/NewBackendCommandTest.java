package io.github.iommufd4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code new-backend}: the template copied and renamed (building it is BackendTemplateIT's job). */
class NewBackendCommandTest {

    private static List<String> files(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void copiesTheTemplateRenamed(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("out");
        Cli.Result r = Cli.run("new-backend", "my-thing", "--dir", dir.toString(), "--group-id", "org.acme.team");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("created " + dir + ": backend 'my-thing', com.example.mything.MyThingBackendProvider,"
                + " org.acme.team:iommufd4j-backend-my-thing (7 files)");
        assertThat(files(dir)).containsExactly(".gitignore", "README.md", "pom.xml", "run-tck",
                "src/main/java/com/example/mything/MyThingBackend.java",
                "src/main/java/com/example/mything/MyThingBackendProvider.java",
                "src/test/java/com/example/mything/MyThingBackendTckTest.java");
    }

    @Test
    void replacesEveryTemplateNameAndPinsThisVersion(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("out");
        assertThat(Cli.run("new-backend", "my-thing", "--dir", dir.toString(), "--group-id", "org.acme.team").exit()).isZero();
        String pom = Files.readString(dir.resolve("pom.xml"));
        assertThat(pom).contains("<groupId>org.acme.team</groupId>", "<artifactId>iommufd4j-backend-my-thing</artifactId>",
                "<iommufd4j.version>" + Main.Version.version() + "</iommufd4j.version>",
                "<iommufd4j.backend>my-thing</iommufd4j.backend>");
        String provider = Files.readString(dir.resolve("src/main/java/com/example/mything/MyThingBackendProvider.java"));
        assertThat(provider).contains("package com.example.mything;", "public final class MyThingBackendProvider",
                "public static final String NAME = \"my-thing\";");
        for (String f : files(dir)) {
            assertThat(Files.readString(dir.resolve(f)).replace("org.acme.team", "")).as(f).doesNotContain("acme", "Acme");
        }
        assertThat(Files.isExecutable(dir.resolve("run-tck"))).isTrue();
        assertThat(Files.readString(dir.resolve("run-tck"))).contains("--backend my-thing");
    }

    @Test
    void theTemplateBuildsAsItIs_atThisVersion() throws Exception {
        String pom = Files.readString(Path.of("../backend-template/pom.xml"));
        assertThat(pom).contains("<iommufd4j.version>" + Main.Version.version() + "</iommufd4j.version>");
    }

    @Test
    void refusesANonEmptyDirectoryABadNameAndABadPackage(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("x"), "");
        Cli.Result taken = Cli.run("new-backend", "thing", "--dir", tmp.toString());
        assertThat(taken.exit()).isEqualTo(2);
        assertThat(taken.err()).isEqualTo("new-backend: " + tmp + " exists and is not an empty directory; choose another"
                + " with --dir" + System.lineSeparator());
        Cli.Result name = Cli.run("new-backend", "My_Thing", "--dir", tmp.resolve("a").toString());
        assertThat(name.exit()).isEqualTo(2);
        assertThat(name.err()).startsWith("new-backend: 'My_Thing' is not a backend name");
        Cli.Result pkg = Cli.run("new-backend", "thing", "--package", "Com.Bad", "--dir", tmp.resolve("b").toString());
        assertThat(pkg.exit()).isEqualTo(2);
        assertThat(pkg.err()).startsWith("new-backend: --package 'Com.Bad' is not a lower-case Java package name");
        assertThat(Files.exists(tmp.resolve("a"))).isFalse();
    }
}
