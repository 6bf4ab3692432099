package io.github.iommufd4j.cli;

import io.github.iommufd4j.simulator.compare.PolicyComparison;
import java.awt.Color;
import java.awt.Rectangle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.labels.StandardXYItemLabelGenerator;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/** A comparison drawn with JFreeChart: pages lost (y) against pages copied (x), one labelled point per profile. */
final class ComparisonChart {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;
    /** Distinguishable on white and for common colour blindness (Okabe-Ito). */
    private static final Color[] PALETTE = {new Color(0xE69F00), new Color(0x56B4E9), new Color(0x009E73),
        new Color(0xD55E00), new Color(0xCC79A7), new Color(0x0072B2), new Color(0xF0E442), Color.BLACK};

    /** The image formats. */
    enum Kind {
        SVG, PNG;

        static Kind of(Path file) {
            String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
            return name.endsWith(".svg") ? SVG : name.endsWith(".png") ? PNG : null;
        }
    }

    private ComparisonChart() {
    }

    static JFreeChart chart(String source, List<PolicyComparison.Figures> figures) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (PolicyComparison.Figures f : figures) {
            XYSeries s = new XYSeries(f.profile() + " (lost " + f.pagesLost() + ", copied " + f.costs().copied() + ")");
            s.add(f.costs().copied(), f.pagesLost());
            data.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createScatterPlot("Pages lost against pages copied, per profile",
                "pages copied (needed + over-reported + perpetual)", "pages lost", data, PlotOrientation.VERTICAL,
                true, false, false);
        chart.addSubtitle(new org.jfree.chart.title.TextTitle(source));
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        // Room right of and above the points: each label stands right of its point, so a profile that copies
        // nothing (x = 0) keeps its label in the plot.
        for (org.jfree.chart.axis.ValueAxis axis : List.of(plot.getDomainAxis(), plot.getRangeAxis())) {
            ((org.jfree.chart.axis.NumberAxis) axis).setAutoRangeIncludesZero(false);
            ((org.jfree.chart.axis.NumberAxis) axis).setAutoRangeStickyZero(false);
            axis.setLowerMargin(0.06);
        }
        plot.getDomainAxis().setUpperMargin(0.25);
        plot.getRangeAxis().setUpperMargin(0.12);
        XYLineAndShapeRenderer renderer = (XYLineAndShapeRenderer) plot.getRenderer();
        for (int i = 0; i < figures.size(); i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            renderer.setSeriesShape(i, new java.awt.geom.Ellipse2D.Double(-6, -6, 12, 12));
        }
        renderer.setDefaultItemLabelGenerator(new StandardXYItemLabelGenerator("{0}") {
            private static final long serialVersionUID = 1L;

            @Override
            public String generateLabel(org.jfree.data.xy.XYDataset dataset, int series, int item) {
                String key = dataset.getSeriesKey(series).toString();
                return key.substring(0, key.indexOf(" ("));
            }
        });
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setItemLabelAnchorOffset(9);
        renderer.setDefaultPositiveItemLabelPosition(new org.jfree.chart.labels.ItemLabelPosition(
                org.jfree.chart.labels.ItemLabelAnchor.OUTSIDE3, org.jfree.chart.ui.TextAnchor.CENTER_LEFT));
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** Writes the chart as SVG or PNG, by the file's extension. */
    static void write(Path file, String source, List<PolicyComparison.Figures> figures) {
        JFreeChart chart = chart(source, figures);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (Kind.of(file) == Kind.SVG) {
                SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
                chart.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
                Files.writeString(file, g.getSVGDocument(), StandardCharsets.UTF_8);
            } else {
                ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the chart to " + file + ": " + e.getMessage(), e);
        }
    }
}
