import java.io.File;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Reads the JUnit XML reports (TEST-*.xml) the guest wrote into the results share and prints one row per
 * test class: tests, passed, failed (failures + errors), skipped. Run as a single-file program:
 * {@code java Verdict.java [--must-pass FQCN METHOD_GLOB | --list FQCN]... <reports dir>}.
 *
 * <p>{@code --must-pass} (repeatable) names a class whose tests matching the glob (on the test name, such as
 * {@code required_*}) must all pass: a skipped one fails the verdict there, and so does a glob that matches
 * no test. Each such class is listed test by test, with counts per method-name prefix (the part before the
 * first '_', e.g. {@code required} / {@code optional} for the TCK). {@code --list} only lists a class that way.
 * Dynamic and parameterized tests are shown with their display name (e.g. an example's file name).
 *
 * <p>Exit status: 0 green (at least one test passed, none failed, every must-pass test passed); 1 a failure
 * or error, nothing passed, or a must-pass rule broken; 3 no report file at all (the payload did not finish).
 */
public final class Verdict {
  private static final class Row {
    int tests;
    int failed;
    int skipped;
  }

  /** One test case of a must-pass class. */
  private record Case(String name, String result, String reason) {
  }

  public static void main(String[] args) throws Exception {
    Map<String, List<String>> mustPass = new LinkedHashMap<>();
    int a = 0;
    while (a < args.length && (args[a].equals("--must-pass") || args[a].equals("--list"))) {
      if (args[a].equals("--list") && a + 2 < args.length) {
        mustPass.computeIfAbsent(args[a + 1], k -> new ArrayList<>());
        a += 2;
        continue;
      }
      if (a + 3 >= args.length) {
        System.out.println("usage: Verdict [--must-pass FQCN METHOD_GLOB | --list FQCN]... <reports dir>");
        System.exit(2);
      }
      mustPass.computeIfAbsent(args[a + 1], k -> new ArrayList<>()).add(args[a + 2]);
      a += 3;
    }
    File dir = new File(args[a]);
    Map<String, List<Case>> detailed = new TreeMap<>();
    File[] files = dir.listFiles((d, n) -> n.startsWith("TEST-") && n.endsWith(".xml"));
    if (files == null || files.length == 0) {
      System.out.println("no JUnit XML report (TEST-*.xml) in " + dir);
      System.exit(3);
    }
    Map<String, Row> rows = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    for (File f : files) {
      NodeList cases = factory.newDocumentBuilder().parse(f).getElementsByTagName("testcase");
      for (int i = 0; i < cases.getLength(); i++) {
        Element tc = (Element) cases.item(i);
        String cls = tc.getAttribute("classname");
        Row row = rows.computeIfAbsent(cls.isEmpty() ? "(unknown class)" : cls, k -> new Row());
        row.tests++;
        Element bad = first(tc, "failure");
        if (bad == null) {
          bad = first(tc, "error");
        }
        String label = label(tc);
        if (mustPass.containsKey(cls)) {
          Element sk = first(tc, "skipped");
          String result = bad != null ? "FAILED" : sk != null ? "SKIPPED" : "passed";
          String reason = bad != null ? reason(bad) : sk != null ? reason(sk) : "";
          detailed.computeIfAbsent(cls, k -> new ArrayList<>()).add(new Case(label, result, reason));
        }
        if (bad != null) {
          row.failed++;
          String msg = reason(bad);
          problems.add("FAILED " + simple(cls) + "." + label + ": " + (msg.isEmpty() ? bad.getAttribute("type") : msg));
        } else if (first(tc, "skipped") != null) {
          row.skipped++;
          String msg = reason(first(tc, "skipped"));
          problems.add("skipped " + simple(cls) + "." + label + (msg.isEmpty() ? "" : ": " + msg));
        }
      }
    }
    String fmt = "%-58s %6s %7s %7s %8s%n";
    System.out.printf(fmt, "class", "tests", "passed", "failed", "skipped");
    int tests = 0;
    int failed = 0;
    int skipped = 0;
    for (Map.Entry<String, Row> e : rows.entrySet()) {
      Row r = e.getValue();
      System.out.printf(fmt, e.getKey(), r.tests, r.tests - r.failed - r.skipped, r.failed, r.skipped);
      tests += r.tests;
      failed += r.failed;
      skipped += r.skipped;
    }
    int passed = tests - failed - skipped;
    System.out.printf(fmt, "TOTAL", tests, passed, failed, skipped);
    problems.forEach(p -> System.out.println("  " + p));
    boolean mustPassBroken = false;
    for (Map.Entry<String, List<String>> e : mustPass.entrySet()) {
      List<Case> cases = detailed.getOrDefault(e.getKey(), List.of());
      cases.sort((x, y) -> sortKey(x.name()).compareTo(sortKey(y.name())));
      System.out.println();
      System.out.println("per test of " + e.getKey()
          + (e.getValue().isEmpty() ? "" : " (must pass: " + String.join(", ", e.getValue()) + ")"));
      Map<String, int[]> byPrefix = new TreeMap<>();
      for (Case c : cases) {
        int us = c.name().indexOf('_');
        int[] n = byPrefix.computeIfAbsent(us > 0 ? c.name().substring(0, us) : "all", k -> new int[3]);
        n[c.result().equals("passed") ? 0 : c.result().equals("SKIPPED") ? 1 : 2]++;
        System.out.printf("  %-7s %s%s%n", c.result(), c.name(), c.reason().isEmpty() ? "" : "  [" + c.reason() + "]");
      }
      byPrefix.forEach((p, n) -> System.out.printf("  %-9s %3d tests: %3d passed, %3d skipped, %3d failed%n",
          p, n[0] + n[1] + n[2], n[0], n[1], n[2]));
      for (String glob : e.getValue()) {
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        List<Case> hit = cases.stream().filter(c -> m.matches(Path.of(c.name().replace('/', '_')))).toList();
        List<Case> notPassed = hit.stream().filter(c -> !c.result().equals("passed")).toList();
        if (hit.isEmpty()) {
          System.out.println("  MUST-PASS BROKEN: no test of " + simple(e.getKey()) + " matches " + glob);
          mustPassBroken = true;
        } else if (!notPassed.isEmpty()) {
          System.out.println("  MUST-PASS BROKEN: " + notPassed.size() + " of " + hit.size() + " tests matching " + glob
              + " did not pass: " + notPassed.stream().map(Case::name).toList());
          mustPassBroken = true;
        } else {
          System.out.println("  must-pass " + glob + ": all " + hit.size() + " passed");
        }
      }
    }
    if (mustPassBroken) {
      System.exit(1);
    }
    if (failed > 0) {
      System.exit(1);
    }
    if (passed == 0) {
      System.out.println("no test passed: nothing was proven in this boot");
      System.exit(1);
    }
  }

  /**
   * The test's name; for a dynamic or parameterized test ("method()[3]") its display name is added, taken from
   * the "display-name:" line the console launcher writes into the test's system-out.
   */
  private static String label(Element tc) {
    String name = tc.getAttribute("name");
    Element out = first(tc, "system-out");
    if (name.endsWith("]") && out != null) {
      for (String line : out.getTextContent().lines().toList()) {
        if (line.startsWith("display-name: ")) {
          String d = line.substring("display-name: ".length());
          return name + " " + d.substring(d.lastIndexOf(" > ") + 3);
        }
      }
    }
    return name;
  }

  /** Sorts "method()[3] name" by its display name, other tests by their name. */
  private static String sortKey(String label) {
    int i = label.indexOf("] ");
    return i > 0 ? label.substring(i + 2) : label;
  }

  /** The message of a failure or skip: the message attribute, else the first line of the stack trace text. */
  private static String reason(Element e) {
    String msg = e.getAttribute("message");
    if (msg.isEmpty()) {
      msg = e.getTextContent().strip().lines().findFirst().orElse("");
      msg = msg.replaceFirst("^org\\.opentest4j\\.TestAbortedException: ", "");
      msg = msg.replaceFirst("^Assumption failed: ", "");
    }
    return oneLine(msg);
  }

  private static Element first(Element parent, String tag) {
    NodeList l = parent.getElementsByTagName(tag);
    return l.getLength() == 0 ? null : (Element) l.item(0);
  }

  private static String oneLine(String msg) {
    String line = String.join(" / ", msg.strip().lines().map(String::strip).toList());
    return line.length() > 300 ? line.substring(0, 300) + " ..." : line;
  }

  private static String simple(String cls) {
    return cls.substring(cls.lastIndexOf('.') + 1);
  }
}
