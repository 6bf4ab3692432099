package io.github.iommufd4j.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The snippets a backend writer copies from the READMEs: plugin and iommufd4j versions pinned to this build,
 * Surefire's default includes kept, the Java snippets compiling (or identical to code that is compiled and run).
 */
class ReadmeSnippetsTest {
    private static final Path ROOT = PackagingTest.ROOT;
    private static final List<String> READMES = List.of("README.md", "tck/README.md", "backend-template/README.md",
            "cli/README.md");
    private static final Pattern BLOCK = Pattern.compile("```(\\w*)\\n(.*?)```", Pattern.DOTALL);

    private static List<String> blocks(String readme, String language) throws Exception {
        List<String> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(Files.readString(ROOT.resolve(readme)));
        while (m.find()) {
            if (m.group(1).equals(language)) {
                out.add(m.group(2));
            }
        }
        return out;
    }

    private static Document xml(String snippet) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(("<snippet>" + snippet + "</snippet>").getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Element> all(Document d, String tag) {
        NodeList l = d.getElementsByTagName(tag);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < l.getLength(); i++) {
            out.add((Element) l.item(i));
        }
        return out;
    }

    @Test
    void xmlSnippetsPinThePluginVersionsAndTheIommufd4jVersionOfThisBuild() throws Exception {
        Document parent = PackagingTest.pom(ROOT.resolve("pom.xml"));
        Map<String, String> plugins = PackagingTest.managedPlugins(parent);
        String version = PackagingTest.text(parent.getDocumentElement(), "version");
        int pluginsSeen = 0;
        for (String readme : READMES) {
            for (String snippet : blocks(readme, "xml")) {
                Document d = xml(snippet);
                for (Element plugin : all(d, "plugin")) {
                    String artifactId = PackagingTest.text(plugin, "artifactId");
                    assertThat(PackagingTest.text(plugin, "version")).as("%s: version of %s", readme, artifactId)
                            .isNotNull().isEqualTo(plugins.get(artifactId));
                    pluginsSeen++;
                }
                for (Element dep : all(d, "dependency")) {
                    if ("io.github.iommufd4j".equals(PackagingTest.text(dep, "groupId")) && PackagingTest.text(dep, "version") != null) {
                        assertThat(PackagingTest.text(dep, "version")).as("%s: version of %s", readme,
                                PackagingTest.text(dep, "artifactId")).isEqualTo(version);
                    }
                }
                if (!all(d, "dependenciesToScan").isEmpty()) {
                    assertThat(all(d, "include")).extracting(Element::getTextContent).as("%s: Surefire includes", readme)
                            .contains("**/Test*.java", "**/*Test.java", "**/*Tests.java", "**/*TestCase.java",
                                    "**/ServiceLoaderBackendTck.java");
                }
            }
        }
        assertThat(pluginsSeen).as("plugin snippets checked").isPositive();
    }

    @Test
    void theExtendTheClassSnippetIsTheTemplatesTestClass() throws Exception {
        String template = Files.readString(ROOT.resolve("backend-template/src/test/java/com/example/acme/AcmeBackendTckTest.java"));
        List<String> snippets = blocks("tck/README.md", "java").stream()
                .filter(s -> s.contains("extends IommufdBackendVerification")).toList();
        assertThat(snippets).hasSize(1);
        assertThat(template.replaceAll("\\s+", " ")).contains(snippets.get(0).strip().replaceAll("\\s+", " "));
    }

    @Test
    void theDecoratorAndRunnerSnippetsCompile(@TempDir Path dir) throws Exception {
        String decorator = blocks("tck/README.md", "java").stream().filter(s -> s.contains("extends ForwardingIommufdBackend"))
                .findFirst().orElseThrow();
        String runner = blocks("tck/README.md", "java").stream().filter(s -> s.contains("TckRunner.run("))
                .findFirst().orElseThrow();
        String imports = "package snippets;\nimport io.github.iommufd4j.api.*;\nimport io.github.iommufd4j.tck.*;\n"
                + "import java.nio.file.Path;\nimport java.util.concurrent.atomic.AtomicLong;\n";
        Path a = dir.resolve("snippets/CountingBackend.java");
        Files.createDirectories(a.getParent());
        Files.writeString(a, imports + decorator);
        Path b = dir.resolve("snippets/RunnerSnippet.java");
        Files.writeString(b, imports + "class RunnerSnippet {\n void run() {\n" + runner + "\n }\n}\n");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        boolean ok = javac.getTask(diagnostics, null, null, List.of("-d", dir.resolve("out").toString(), "-cp", cp), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(a.toFile(), b.toFile()))
                .call();
        assertThat(ok).as("javac: %s", diagnostics).isTrue();
    }

    @Test
    void theRootReadmeShowsTheDecoratorBaseAndHowToLoadUserJars() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        assertThat(readme).contains("ForwardingIommufdBackend", "--class-path", "IOMMUFD4J_CLASS_PATH", "new-backend",
                "iommufd4j-bom", "io.github.iommufd4j.qemu", "iommufd4j.tck.qemuLog=off", ".ci/backend-template");
    }

    @Test
    void everyLinkOfTheRootReadmeIsAFileOfTheRepository() throws Exception {
        Path root = ROOT.toAbsolutePath().normalize();
        String readme = Files.readString(root.resolve("README.md"));
        Matcher link = Pattern.compile("\\]\\(([^)#\\s]+)[^)]*\\)").matcher(readme);
        List<String> outside = new ArrayList<>();
        int links = 0;
        while (link.find()) {
            String target = link.group(1);
            if (target.matches("[a-z]+:.*")) {
                continue; // a web address
            }
            links++;
            Path file = root.resolve(target).normalize();
            if (!file.startsWith(root) || !Files.exists(file)) {
                outside.add(target);
            }
        }
        assertThat(links).as("relative links found in README.md").isGreaterThan(5);
        assertThat(outside).as("links of README.md that a clone does not have (the references are the project's own)")
                .isEmpty();
    }
}
