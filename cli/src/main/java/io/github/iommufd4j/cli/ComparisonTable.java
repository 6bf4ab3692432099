package io.github.iommufd4j.cli;

import io.github.iommufd4j.simulator.compare.PolicyComparison;
import java.util.List;

/** The text form of a comparison: one row per profile, columns aligned. */
final class ComparisonTable {
    private static final String[] HEADER = {"profile", "losing", "written", "lost", "copied", "needed", "over-reported",
        "perpetual", "HWPTs", "calls", "migratable", "failed attaches"};

    private ComparisonTable() {
    }

    static String render(String source, List<PolicyComparison.Figures> figures) {
        String[][] rows = new String[figures.size() + 1][];
        rows[0] = HEADER;
        for (int i = 0; i < figures.size(); i++) {
            PolicyComparison.Figures f = figures.get(i);
            rows[i + 1] = new String[] {f.profile(), f.scenariosLosingPages() + "/" + f.scenarios(),
                String.valueOf(f.pagesWritten()), String.valueOf(f.pagesLost()), String.valueOf(f.costs().copied()), String.valueOf(f.costs().needed()),
                String.valueOf(f.costs().overReported()), String.valueOf(f.costs().perpetual()),
                String.valueOf(f.hwptsAllocated()), String.valueOf(f.backendCalls()),
                String.valueOf(f.devicesAllowedToMigrate()), String.valueOf(f.failedAttaches())};
        }
        int[] width = new int[HEADER.length];
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        StringBuilder sb = new StringBuilder("Comparison over ").append(source).append(System.lineSeparator());
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                String cell = c == 0 ? pad(r[c], width[c], false) : pad(r[c], width[c], true);
                sb.append(c == 0 ? "" : "  ").append(cell);
            }
            sb.append(System.lineSeparator());
        }
        sb.append("losing: scenarios that lose pages; written: distinct pages written while tracking; lost: pages written and "
                + "never reported since; copied = needed + "
                + "over-reported + perpetual, each page once per sync; perpetual: copied only because no tracker could "
                + "see some device; migratable: devices attached at the end whose migration is allowed.")
                .append(System.lineSeparator());
        return sb.toString();
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }
}
