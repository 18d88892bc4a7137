package org.attention4j.tour;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/** The tour's timings as a PNG: one group of bars per operator, one bar per backend, log-scale milliseconds. */
final class TimingChart {
    static final int WIDTH = 1000;
    static final int HEIGHT_PER_ROW = 42;

    private TimingChart() {
    }

    /** Writes the chart of {@code rows} to {@code png}; rows without timings are left out. */
    static void write(List<Tour.Row> rows, Path png, String title) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        double fastest = Double.MAX_VALUE, slowest = 0;
        int operators = 0;
        for (Tour.Row r : rows) {
            if (r.timings().isEmpty()) continue;
            operators++;
            for (Map.Entry<String, Double> e : r.timings().entrySet()) {
                data.addValue(e.getValue(), e.getKey(), r.operator());
                fastest = Math.min(fastest, e.getValue());
                slowest = Math.max(slowest, e.getValue());
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(title, null, "milliseconds per call (log scale)", data,
                PlotOrientation.HORIZONTAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        LogAxis axis = new LogAxis("milliseconds per call (log scale)");
        if (slowest > 0) {
            axis.setRange(fastest / 2, slowest * 2);
        }
        plot.setRangeAxis(axis);
        BarRenderer bars = (BarRenderer) plot.getRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        Color[] palette = {new Color(33, 102, 172), new Color(214, 96, 77), new Color(77, 172, 38), new Color(153, 112, 171)};
        for (int i = 0; i < palette.length; i++) {
            bars.setSeriesPaint(i, palette[i]);
        }
        Files.createDirectories(png.toAbsolutePath().getParent());
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, 140 + HEIGHT_PER_ROW * Math.max(operators, 1) * Math.max(data.getRowCount(), 1) / 2 + 120);
    }
}
