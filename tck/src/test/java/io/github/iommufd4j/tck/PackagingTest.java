package io.github.iommufd4j.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** What consumers get: a BOM listing every published module at the project's version, plugin versions in one place. */
class PackagingTest {
    static final Path ROOT = Path.of("..");

    static Document pom(Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    static String text(Element parent, String child) {
        NodeList l = parent.getElementsByTagName(child);
        for (int i = 0; i < l.getLength(); i++) {
            if (l.item(i).getParentNode() == parent) {
                return l.item(i).getTextContent().strip();
            }
        }
        return null;
    }

    static List<Element> children(Node parent, String name) {
        NodeList l = parent.getChildNodes();
        List<Element> out = new java.util.ArrayList<>();
        for (int i = 0; i < l.getLength(); i++) {
            if (l.item(i) instanceof Element e && e.getTagName().equals(name)) {
                out.add(e);
            }
        }
        return out;
    }

    /** artifactId to version of the plugins in a pom's build/pluginManagement. */
    static Map<String, String> managedPlugins(Document pom) {
        Map<String, String> m = new LinkedHashMap<>();
        Element build = children(pom.getDocumentElement(), "build").get(0);
        Element pm = children(build, "pluginManagement").get(0);
        for (Element plugin : children(children(pm, "plugins").get(0), "plugin")) {
            m.put(text(plugin, "artifactId"), text(plugin, "version"));
        }
        return m;
    }

    @Test
    void theBomListsEveryPublishedModuleAtTheProjectVersion() throws Exception {
        Document parent = pom(ROOT.resolve("pom.xml"));
        Document bom = pom(ROOT.resolve("bom/pom.xml"));
        String version = text(parent.getDocumentElement(), "version");
        assertThat(text(bom.getDocumentElement(), "version")).as("BOM version").isEqualTo(version);
        assertThat(children(bom.getDocumentElement(), "parent")).as("the BOM has no parent").isEmpty();
        List<String> published = children(children(parent.getDocumentElement(), "modules").get(0), "module").stream()
                .map(Node::getTextContent).filter(m -> !m.equals("bom") && !m.equals("benchmarks"))
                .filter(m -> !notPublished(m)).toList();
        Element dm = children(bom.getDocumentElement(), "dependencyManagement").get(0);
        Map<String, String> managed = new LinkedHashMap<>();
        for (Element d : children(children(dm, "dependencies").get(0), "dependency")) {
            managed.put(text(d, "artifactId"), text(d, "version"));
        }
        for (String module : published) {
            String artifactId = text(pom(ROOT.resolve(module).resolve("pom.xml")).getDocumentElement(), "artifactId");
            assertThat(managed).as("BOM entry of module %s", module).containsEntry(artifactId, "${project.version}");
        }
        assertThat(managed).hasSize(published.size());
    }

    @Test
    void theBomPinsItsLifecycleLikeTheParent() throws Exception {
        Map<String, String> parent = managedPlugins(pom(ROOT.resolve("pom.xml")));
        managedPlugins(pom(ROOT.resolve("bom/pom.xml"))).forEach((plugin, version) ->
                assertThat(version).as("version of %s in the BOM", plugin).isEqualTo(parent.get(plugin)));
    }

    @Test
    void theBackendTemplatePinsThePluginsAndVersionsOfThisBuild() throws Exception {
        Document parentPom = pom(ROOT.resolve("pom.xml"));
        Map<String, String> parent = managedPlugins(parentPom);
        Document template = pom(ROOT.resolve("backend-template/pom.xml"));
        Map<String, String> pinned = managedPlugins(template);
        assertThat(pinned.keySet()).as("plugins the template pins").contains("maven-compiler-plugin", "maven-surefire-plugin",
                "maven-resources-plugin", "maven-jar-plugin", "maven-install-plugin", "maven-clean-plugin");
        pinned.forEach((plugin, version) ->
                assertThat(version).as("version of %s in the template", plugin).isEqualTo(parent.get(plugin)));
        Element props = children(template.getDocumentElement(), "properties").get(0);
        Element parentProps = children(parentPom.getDocumentElement(), "properties").get(0);
        assertThat(text(props, "iommufd4j.version")).isEqualTo(text(parentPom.getDocumentElement(), "version"));
        assertThat(text(props, "auto-service.version")).isEqualTo(text(parentProps, "auto-service.version"));
    }

    /** A module that says it is not published: {@code maven.deploy.skip} true in its properties (the qemu-lab). */
    private static boolean notPublished(String module) throws RuntimeException {
        try {
            Element project = pom(ROOT.resolve(module).resolve("pom.xml")).getDocumentElement();
            List<Element> properties = children(project, "properties");
            return !properties.isEmpty() && !children(properties.get(0), "maven.deploy.skip").isEmpty()
                    && "true".equals(text(properties.get(0), "maven.deploy.skip"));
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the pom of module " + module + ": " + e.getMessage(), e);
        }
    }
}
