import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Reads the JUnit XML reports (TEST-*.xml) the guest wrote into the results share and prints one row per
 * test class: tests, passed, failed (failures + errors), skipped. Run as a single-file program:
 * {@code java Verdict.java <reports dir>}.
 *
 * <p>Exit status: 0 green (at least one test passed, none failed); 1 a failure or error, or nothing passed;
 * 3 no report file at all (the payload did not finish).
 */
public final class Verdict {
  private static final class Row {
    int tests;
    int failed;
    int skipped;
  }

  public static void main(String[] args) throws Exception {
    File dir = new File(args[0]);
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
        if (bad != null) {
          row.failed++;
          String msg = bad.getAttribute("message");
          problems.add("FAILED " + simple(cls) + "." + tc.getAttribute("name") + ": "
              + (msg.isEmpty() ? bad.getAttribute("type") : oneLine(msg)));
        } else if (first(tc, "skipped") != null) {
          row.skipped++;
          String msg = first(tc, "skipped").getAttribute("message");
          problems.add("skipped " + simple(cls) + "." + tc.getAttribute("name") + (msg.isEmpty() ? "" : ": " + msg));
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
    if (failed > 0) {
      System.exit(1);
    }
    if (passed == 0) {
      System.out.println("no test passed: nothing was proven in this boot");
      System.exit(1);
    }
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
