package io.chorus.driver.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Rectangle2D;
import java.util.List;
import java.util.Map;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.StandardChartTheme;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.DefaultDrawingSupplier;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/**
 * The report's figures, drawn by JFreeChart and written as inline SVG by JFreeSVG. Each method takes plain
 * numbers (no run directory), so each figure is tested on a small fixed input.
 */
public final class Charts {
    /** Colors distinguishable in print and for common color blindness (Okabe-Ito). */
    static final Color[] PALETTE = {new Color(0x0072B2), new Color(0xE69F00), new Color(0x009E73),
            new Color(0xCC79A7), new Color(0x56B4E9), new Color(0xD55E00), new Color(0xF0E442), new Color(0x000000)};

    private static final StandardChartTheme THEME;

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        THEME = (StandardChartTheme) StandardChartTheme.createJFreeTheme();
        THEME.setBarPainter(new StandardBarPainter());
        THEME.setXYBarPainter(new StandardXYBarPainter());
        THEME.setShadowVisible(false);
        THEME.setDrawingSupplier(new DefaultDrawingSupplier(PALETTE, PALETTE,
                DefaultDrawingSupplier.DEFAULT_OUTLINE_PAINT_SEQUENCE, DefaultDrawingSupplier.DEFAULT_STROKE_SEQUENCE,
                DefaultDrawingSupplier.DEFAULT_OUTLINE_STROKE_SEQUENCE, DefaultDrawingSupplier.DEFAULT_SHAPE_SEQUENCE));
        ChartFactory.setChartTheme(THEME);
    }

    /** Tick labels of logarithmic axes: three significant digits, not powers with fractional exponents. */
    private static final java.text.NumberFormat SIGNIFICANT = new java.text.NumberFormat() {
        @Override
        public StringBuffer format(double number, StringBuffer to, java.text.FieldPosition pos) {
            return to.append(compact(number));
        }

        @Override
        public StringBuffer format(long number, StringBuffer to, java.text.FieldPosition pos) {
            return to.append(number);
        }

        @Override
        public Number parse(String source, java.text.ParsePosition pos) {
            throw new UnsupportedOperationException("tick labels are not parsed");
        }
    };

    /** 0.01, 2.5, 10, 1e-5, 3.2e+12: three significant digits at most, no trailing zeros. */
    static String compact(double v) {
        if (v == 0 || !Double.isFinite(v)) {
            return Double.toString(v);
        }
        double a = Math.abs(v);
        if (a >= 1e-3 && a < 1e4) {
            String s = new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
            return s;
        }
        String[] parts = String.format(java.util.Locale.ROOT, "%.2e", v).split("e");
        String mantissa = parts[0].replaceAll("\\.?0+$", "");
        int exponent = Integer.parseInt(parts[1]);
        return mantissa + "e" + exponent;
    }

    private static final Font TITLE = new Font("SansSerif", Font.BOLD, 14);

    private Charts() {
    }

    /** A point series: x values and y values of equal length. */
    public record Series(String name, double[] x, double[] y) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException(name + ": " + x.length + " x values but " + y.length + " y values");
            }
        }
    }

    /** Renders {@code chart} as an SVG element that scales with the page; {@code id} keeps its defs unique. */
    public static String svg(JFreeChart chart, int width, int height, String id) {
        SVGGraphics2D g2 = new SVGGraphics2D(width, height);
        g2.setDefsKeyPrefix(id + "-");
        // Two decimals of a pixel are finer than any screen or printer; full doubles triple the page's size.
        g2.setGeomDoubleConverter(Charts::twoDecimals);
        g2.setTransformDoubleConverter(Charts::twoDecimals);
        chart.draw(g2, new Rectangle2D.Double(0, 0, width, height));
        String element = g2.getSVGElement(id);
        if (!element.startsWith("<svg ")) {
            throw new IllegalStateException("JFreeSVG returned no <svg> element for " + id);
        }
        // Scale with the page width, keeping the aspect ratio.
        return "<svg viewBox=\"0 0 " + width + " " + height + "\" style=\"max-width:100%;height:auto\" role=\"img\" "
                + "aria-label=\"" + escapeAttr(title(chart)) + "\" " + element.substring("<svg ".length());
    }

    private static String twoDecimals(double v) {
        long r = Math.round(v * 100);
        if (r % 100 == 0) {
            return Long.toString(r / 100);
        }
        return java.math.BigDecimal.valueOf(r, 2).stripTrailingZeros().toPlainString();
    }

    private static String title(JFreeChart chart) {
        return chart.getTitle() == null ? "" : chart.getTitle().getText();
    }

    private static String escapeAttr(String s) {
        return s.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;");
    }

    /**
     * One member's training: loss (training objective and validation NLL) and validation accuracy against
     * epoch, the learning rate beneath, the committed snapshots as vertical markers.
     */
    public static JFreeChart trainingCurves(String title, Series trainLoss, Series valLoss, Series valAccuracy,
                                            Series learningRate, double[] snapshotEpochs) {
        NumberAxis epoch = new NumberAxis("epoch");
        CombinedDomainXYPlot combined = new CombinedDomainXYPlot(epoch);
        combined.setGap(8);

        XYPlot loss = new XYPlot(collection(trainLoss, valLoss), null, new NumberAxis("loss"), lines(true, 0));
        NumberAxis accAxis = new NumberAxis("validation accuracy");
        accAxis.setAutoRangeIncludesZero(false);
        loss.setRangeAxis(1, accAxis);
        loss.setDataset(1, collection(valAccuracy));
        loss.mapDatasetToRangeAxis(1, 1);
        loss.setRenderer(1, lines(true, 2));
        for (double e : snapshotEpochs) {
            ValueMarker m = new ValueMarker(e, new Color(0x999999), new BasicStroke(1f, BasicStroke.CAP_BUTT,
                    BasicStroke.JOIN_MITER, 10f, new float[] {3f, 3f}, 0f));
            loss.addDomainMarker(m);
        }
        combined.add(loss, 3);

        NumberAxis lrAxis = new NumberAxis("learning rate");
        XYPlot lr = new XYPlot(collection(learningRate), null, lrAxis, lines(false, 3));
        combined.add(lr, 1);
        return finish(new JFreeChart(title, TITLE, combined, true));
    }

    /** Metric against ensemble size, one line per way of growing the ensemble. */
    public static JFreeChart sizeCurves(String title, String metric, List<Series> series, boolean logScale) {
        return integerLines(title, "ensemble size (models, counted with repeats)", metric, series, logScale);
    }

    /** Metric against corruption severity (0 = the images as they are), one line per model or ensemble. */
    public static JFreeChart againstSeverity(String title, String severityLabel, String metric, List<Series> series) {
        return integerLines(title, severityLabel, metric, series, false);
    }

    /** Lines over an integer x axis. */
    private static JFreeChart integerLines(String title, String xLabel, String metric, List<Series> series,
                                           boolean logScale) {
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel,
                metric, collection(series.toArray(Series[]::new)), PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setRenderer(lines(true, 0));
        if (logScale) {
            LogAxis log = new LogAxis(metric + " (log scale)");
            log.setSmallestValue(1e-6);
            log.setNumberFormatOverride(SIGNIFICANT);
            plot.setRangeAxis(log);
        } else {
            ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        }
        ((NumberAxis) plot.getDomainAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        return finish(chart);
    }

    /**
     * Metric against training cost: one marker per model or ensemble (each its own legend entry), so that what
     * the same budget buys reads off one vertical line.
     */
    public static JFreeChart budget(String title, String costLabel, String metric, List<Series> points) {
        JFreeChart chart = ChartFactory.createScatterPlot(title, costLabel, metric,
                collection(points.toArray(Series[]::new)), PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer r = lines(true, 0);
        r.setDefaultLinesVisible(false);
        for (int i = 0; i < points.size(); i++) {
            r.setSeriesLinesVisible(i, false);
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            r.setSeriesShape(i, SHAPES[(i / PALETTE.length) % SHAPES.length]);
        }
        plot.setRenderer(r);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        ((NumberAxis) plot.getDomainAxis()).setAutoRangeIncludesZero(true);
        return finish(chart);
    }

    private static final java.awt.Shape[] SHAPES = {new java.awt.geom.Ellipse2D.Double(-4, -4, 8, 8),
            new java.awt.geom.Rectangle2D.Double(-4, -4, 8, 8), new java.awt.Polygon(new int[] {0, 5, -5},
            new int[] {-5, 4, 4}, 3)};

    /** Reliability bins as eval/metrics.json holds them; accuracy and confidence are null for empty bins. */
    public record Bins(double[] lower, double[] upper, long[] count, Double[] accuracy, Double[] confidence) {
    }

    /**
     * Reliability diagram: the accuracy of each confidence bin as a bar over the bin, the diagonal a
     * perfectly calibrated model would follow, and the mean confidence in each bin as points.
     */
    public static JFreeChart reliability(String title, Bins bins) {
        XYIntervalSeries acc = new XYIntervalSeries("accuracy in bin");
        XYSeries conf = new XYSeries("mean confidence in bin");
        for (int i = 0; i < bins.lower().length; i++) {
            if (bins.count()[i] == 0 || bins.accuracy()[i] == null) {
                continue;
            }
            double mid = (bins.lower()[i] + bins.upper()[i]) / 2;
            double a = bins.accuracy()[i];
            acc.add(mid, bins.lower()[i], bins.upper()[i], a, a, a);
            conf.add(mid, bins.confidence()[i]);
        }
        XYIntervalSeriesCollection bars = new XYIntervalSeriesCollection();
        bars.addSeries(acc);
        NumberAxis x = new NumberAxis("confidence (largest class probability)");
        x.setRange(0, 1);
        NumberAxis y = new NumberAxis("accuracy");
        y.setRange(0, 1);
        XYBarRenderer barRenderer = new XYBarRenderer();
        barRenderer.setAutoPopulateSeriesPaint(false);
        barRenderer.setBarPainter(new StandardXYBarPainter());
        barRenderer.setShadowVisible(false);
        barRenderer.setSeriesPaint(0, new Color(0x0072B2));
        barRenderer.setDrawBarOutline(true);
        barRenderer.setSeriesOutlinePaint(0, Color.WHITE);
        XYPlot plot = new XYPlot(bars, x, y, barRenderer);

        XYSeries diagonal = new XYSeries("perfect calibration");
        diagonal.add(0, 0);
        diagonal.add(1, 1);
        XYSeriesCollection lines = new XYSeriesCollection(diagonal);
        lines.addSeries(conf);
        XYLineAndShapeRenderer lr = new XYLineAndShapeRenderer();
        lr.setAutoPopulateSeriesPaint(false);
        lr.setAutoPopulateSeriesStroke(false);
        lr.setSeriesPaint(0, Color.GRAY);
        lr.setSeriesShapesVisible(0, false);
        lr.setSeriesStroke(0, new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {4f, 4f}, 0f));
        lr.setSeriesPaint(1, new Color(0xD55E00));
        lr.setSeriesLinesVisible(1, false);
        plot.setDataset(1, lines);
        plot.setRenderer(1, lr);
        plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD); // points and diagonal over the bars
        return finish(new JFreeChart(title, TITLE, plot, true));
    }

    /**
     * A heatmap of {@code values[row][column]} with labelled axes and a gray-to-blue scale from {@code low}
     * to {@code high}; used for the confusion matrix and pairwise disagreement.
     */
    public static JFreeChart heatmap(String title, String columnLabel, String[] columns, String rowLabel,
                                     String[] rows, double[][] values, String scaleLabel, double low, double high) {
        if (values.length != rows.length) {
            throw new IllegalArgumentException(title + ": " + values.length + " rows of values for " + rows.length
                    + " row labels");
        }
        int n = rows.length * columns.length;
        double[][] xyz = new double[3][n];
        int k = 0;
        for (int r = 0; r < rows.length; r++) {
            if (values[r].length != columns.length) {
                throw new IllegalArgumentException(title + ": row " + r + " has " + values[r].length
                        + " values for " + columns.length + " columns");
            }
            for (int c = 0; c < columns.length; c++) {
                xyz[0][k] = c;
                xyz[1][k] = rows.length - 1 - r; // first row at the top
                xyz[2][k] = values[r][c];
                k++;
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries(title, xyz);
        SymbolAxis x = new SymbolAxis(columnLabel, columns);
        x.setGridBandsVisible(false);
        x.setVerticalTickLabels(columns.length > 6);
        String[] reversed = new String[rows.length];
        for (int r = 0; r < rows.length; r++) {
            reversed[r] = rows[rows.length - 1 - r];
        }
        SymbolAxis y = new SymbolAxis(rowLabel, reversed);
        y.setGridBandsVisible(false);
        XYBlockRenderer renderer = new XYBlockRenderer();
        double hi = high > low ? high : low + 1e-12;
        LookupPaintScale scale = new LookupPaintScale(low, hi, new Color(0xF2F2F2));
        int steps = 20;
        for (int i = 0; i < steps; i++) {
            double t = i / (double) steps;
            scale.add(low + t * (hi - low), blend(new Color(0xF2F2F2), new Color(0x08306B), t));
        }
        renderer.setPaintScale(scale);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        JFreeChart chart = new JFreeChart(title, TITLE, plot, false);
        NumberAxis scaleAxis = new NumberAxis(scaleLabel);
        scaleAxis.setRange(low, hi);
        PaintScaleLegend legend = new PaintScaleLegend(scale, scaleAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(new RectangleInsets(5, 5, 5, 5));
        legend.setStripWidth(12);
        chart.addSubtitle(legend);
        return finish(chart);
    }

    private static Color blend(Color a, Color b, double t) {
        return new Color((int) Math.round(a.getRed() + t * (b.getRed() - a.getRed())),
                (int) Math.round(a.getGreen() + t * (b.getGreen() - a.getGreen())),
                (int) Math.round(a.getBlue() + t * (b.getBlue() - a.getBlue())));
    }

    /** Bars: one group per category, one bar per series ({@code values.get(series)[category]}). */
    public static JFreeChart bars(String title, String categoryLabel, String valueLabel, List<String> categories,
                                  Map<String, double[]> values, Double low, Double high) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Map.Entry<String, double[]> e : values.entrySet()) {
            if (e.getValue().length != categories.size()) {
                throw new IllegalArgumentException(title + ": " + e.getKey() + " has " + e.getValue().length
                        + " values for " + categories.size() + " categories");
            }
            for (int i = 0; i < categories.size(); i++) {
                data.addValue(e.getValue()[i], e.getKey(), categories.get(i));
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(title, categoryLabel, valueLabel, data,
                PlotOrientation.VERTICAL, values.size() > 1, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        BarRenderer r = (BarRenderer) plot.getRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setItemMargin(0.05);
        r.setAutoPopulateSeriesPaint(false);
        for (int i = 0; i < values.size(); i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        if (categories.size() > 6) {
            plot.getDomainAxis().setCategoryLabelPositions(
                    org.jfree.chart.axis.CategoryLabelPositions.UP_45);
        }
        NumberAxis axis = (NumberAxis) plot.getRangeAxis();
        if (low != null && high != null) {
            axis.setRange(low, high);
        }
        return finish(chart);
    }

    /**
     * A per-layer quantity (activation std at initialization, gradient norm) against layer position, one line
     * per member, on a logarithmic scale so that vanishing and exploding signals are both visible.
     */
    public static JFreeChart perLayer(String title, String quantity, String[] layers, List<Series> members) {
        SymbolAxis x = new SymbolAxis("layer", layers);
        x.setGridBandsVisible(false);
        x.setVerticalTickLabels(true);
        LogAxis y = new LogAxis(quantity + " (log scale)");
        y.setSmallestValue(1e-30);
        y.setNumberFormatOverride(SIGNIFICANT);
        XYPlot plot = new XYPlot(collection(members.stream().map(Charts::positive).toArray(Series[]::new)), x, y,
                lines(true, 0));
        return finish(new JFreeChart(title, TITLE, plot, members.size() > 1));
    }

    /** Drops non-positive points, which a log axis cannot show. */
    private static Series positive(Series s) {
        int n = 0;
        for (double v : s.y()) {
            if (v > 0 && Double.isFinite(v)) {
                n++;
            }
        }
        double[] x = new double[n];
        double[] y = new double[n];
        int k = 0;
        for (int i = 0; i < s.y().length; i++) {
            if (s.y()[i] > 0 && Double.isFinite(s.y()[i])) {
                x[k] = s.x()[i];
                y[k++] = s.y()[i];
            }
        }
        return new Series(s.name(), x, y);
    }

    static XYSeriesCollection collection(Series... series) {
        XYSeriesCollection c = new XYSeriesCollection();
        for (Series s : series) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x().length; i++) {
                xy.add(s.x()[i], Double.isFinite(s.y()[i]) ? s.y()[i] : null);
            }
            c.addSeries(xy);
        }
        return c;
    }

    private static XYLineAndShapeRenderer lines(boolean shapes, int firstColor) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, shapes);
        r.setAutoPopulateSeriesPaint(false);
        r.setAutoPopulateSeriesStroke(false);
        for (int i = 0; i < PALETTE.length; i++) {
            Paint p = PALETTE[(firstColor + i) % PALETTE.length];
            r.setSeriesPaint(i, p);
            r.setSeriesStroke(i, new BasicStroke(1.6f));
        }
        return r;
    }

    private static JFreeChart finish(JFreeChart chart) {
        THEME.apply(chart);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(TITLE);
        if (chart.getLegend() != null) {
            chart.getLegend().setFrame(BlockBorder.NONE);
        }
        if (chart.getPlot() instanceof XYPlot p) {
            p.setBackgroundPaint(Color.WHITE);
            p.setDomainGridlinePaint(new Color(0xDDDDDD));
            p.setRangeGridlinePaint(new Color(0xDDDDDD));
        } else if (chart.getPlot() instanceof CategoryPlot p) {
            p.setBackgroundPaint(Color.WHITE);
            p.setRangeGridlinePaint(new Color(0xDDDDDD));
        }
        if (chart.getPlot() instanceof CombinedDomainXYPlot c) {
            for (Object sub : c.getSubplots()) {
                XYPlot p = (XYPlot) sub;
                p.setBackgroundPaint(Color.WHITE);
                p.setDomainGridlinePaint(new Color(0xDDDDDD));
                p.setRangeGridlinePaint(new Color(0xDDDDDD));
            }
        }
        return chart;
    }
}
