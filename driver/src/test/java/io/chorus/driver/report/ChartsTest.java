package io.chorus.driver.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.Layer;
import org.jfree.data.Range;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.xy.IntervalXYDataset;
import org.jfree.data.xy.XYDataset;
import org.jfree.data.xy.XYZDataset;
import org.jfree.svg.SVGGraphics2D;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * The report's figures, checked through JFreeChart's data model (plots, datasets, axes, markers, renderers)
 * on small inputs written out here, and the SVG writer checked by parsing its output as XML. Expected values
 * are derived from the inputs in each test, not copied from what the code happens to produce.
 */
class ChartsTest {
    private static final double EPS = 1e-12;

    // ---------------------------------------------------------------- Series

    /** A series whose x and y differ in length cannot be plotted point by point, so it is refused up front. */
    @Test
    void seriesRejectsXAndYOfDifferentLengths() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Charts.Series("val loss", new double[] {1, 2, 3}, new double[] {0.5, 0.4}));
        assertTrue(e.getMessage().contains("val loss"), "the message should name the series: " + e.getMessage());
        // Equal lengths, including empty, are accepted.
        assertDoesNotThrow(() -> new Charts.Series("ok", new double[] {1, 2}, new double[] {3, 4}));
        assertDoesNotThrow(() -> new Charts.Series("empty", new double[0], new double[0]));
    }

    // ---------------------------------------------------------------- trainingCurves

    /**
     * Two stacked subplots on one epoch axis: loss (weight 3) on top with validation accuracy on its own
     * second range axis and one dashed marker per snapshot, the learning rate (weight 1) beneath.
     */
    @Test
    void trainingCurvesStackLossOverLearningRateWithSnapshotMarkers() {
        double[] epochs = {1, 2, 3, 4};
        double[] train = {2.0, 1.5, 1.2, 1.0};
        double[] val = {2.1, 1.7, Double.NaN, 1.3}; // a missing value becomes a gap (null y), not a point at NaN
        double[] acc = {0.55, 0.62, 0.70, 0.74};
        double[] lrX = {0, 1, 2, 3, 4};            // the learning rate need not share the epoch grid
        double[] lrY = {0.1, 0.1, 0.05, 0.01, 0.001};
        double[] snapshots = {2.0, 3.5};
        JFreeChart chart = Charts.trainingCurves("m0 training", new Charts.Series("training objective", epochs, train),
                new Charts.Series("validation NLL", epochs, val), new Charts.Series("validation accuracy", epochs, acc),
                new Charts.Series("learning rate", lrX, lrY), snapshots);

        assertEquals("m0 training", chart.getTitle().getText());
        CombinedDomainXYPlot combined = assertInstanceOf(CombinedDomainXYPlot.class, chart.getPlot());
        List<XYPlot> subplots = combined.getSubplots();
        assertEquals(2, subplots.size());
        XYPlot loss = subplots.get(0); // the first subplot is drawn at the top
        XYPlot lr = subplots.get(1);
        assertEquals(3, loss.getWeight(), "loss takes three quarters of the height");
        assertEquals(1, lr.getWeight(), "the learning rate takes one quarter");

        // Training objective and validation NLL in one dataset on the "loss" axis.
        SeriesRef trainRef = find(loss, "training objective");
        SeriesRef valRef = find(loss, "validation NLL");
        assertSame(trainRef.dataset(), valRef.dataset(), "both losses share one dataset and axis");
        assertSeries(trainRef, epochs, train);
        assertSeries(valRef, epochs, val);
        ValueAxis lossAxis = loss.getRangeAxisForDataset(trainRef.datasetIndex());
        assertEquals("loss", lossAxis.getLabel());

        // Validation accuracy on a second range axis, not squashed against the loss scale.
        SeriesRef accRef = find(loss, "validation accuracy");
        assertSeries(accRef, epochs, acc);
        ValueAxis accAxis = loss.getRangeAxisForDataset(accRef.datasetIndex());
        assertNotNull(accAxis);
        assertNotEquals(lossAxis, accAxis, "accuracy must not share the loss axis");
        assertEquals(1, loss.getRangeAxisIndex(accAxis), "accuracy is on the second range axis");
        assertEquals("validation accuracy", accAxis.getLabel());
        // Accuracies between 0.55 and 0.74 should fill the axis, not sit on an axis starting at zero.
        assertTrue(accAxis.getLowerBound() > 0.4 && accAxis.getUpperBound() >= 0.74,
                "accuracy axis range " + accAxis.getRange());

        // One vertical marker per snapshot, at its epoch, on the loss plot.
        List<Double> markerX = new ArrayList<>();
        for (Layer layer : new Layer[] {Layer.FOREGROUND, Layer.BACKGROUND}) {
            Collection<?> markers = loss.getDomainMarkers(layer);
            if (markers != null) {
                for (Object m : markers) {
                    markerX.add(assertInstanceOf(ValueMarker.class, m).getValue());
                }
            }
        }
        markerX.sort(null);
        assertEquals(List.of(2.0, 3.5), markerX);

        // The learning-rate subplot holds exactly the learning-rate series.
        SeriesRef lrRef = find(lr, "learning rate");
        assertSeries(lrRef, lrX, lrY);
        assertEquals(1, lr.getDatasetCount());
        assertEquals(1, lrRef.dataset().getSeriesCount());
        assertEquals("learning rate", lr.getRangeAxis().getLabel());
        assertFalse(hasSeries(lr, "training objective"), "loss must not leak into the learning-rate plot");
        assertFalse(hasSeries(loss, "learning rate"), "learning rate must not be drawn on the loss plot");

        // The shared epoch axis covers every series of both subplots.
        ValueAxis epochAxis = combined.getDomainAxis();
        assertEquals("epoch", epochAxis.getLabel());
        assertTrue(epochAxis.getRange().contains(0) && epochAxis.getRange().contains(4),
                "epoch axis range " + epochAxis.getRange());
        assertRenders(chart);
    }

    // ---------------------------------------------------------------- sizeCurves

    /** One line per way of growing the ensemble; a log range axis only when asked for. */
    @Test
    void sizeCurvesHaveOneSeriesPerInputAndTheRequestedScale() {
        Charts.Series random = new Charts.Series("random order", new double[] {1, 2, 4, 8},
                new double[] {0.910, 0.925, 0.934, 0.941});
        Charts.Series greedy = new Charts.Series("greedy", new double[] {1, 2, 3},
                new double[] {0.915, 0.931, 0.938});
        JFreeChart linear = Charts.sizeCurves("Accuracy", "test accuracy", List.of(random, greedy), false);
        XYPlot plot = linear.getXYPlot();
        XYDataset data = plot.getDataset();
        assertEquals(2, data.getSeriesCount());
        assertSeries(find(plot, "random order"), random.x(), random.y());
        assertSeries(find(plot, "greedy"), greedy.x(), greedy.y());
        assertFalse(plot.getRangeAxis() instanceof LogAxis, "logScale=false gives a linear axis");
        NumberAxis y = assertInstanceOf(NumberAxis.class, plot.getRangeAxis());
        // Accuracies near 0.93 must be readable: the linear axis should not be forced down to zero.
        assertTrue(y.getLowerBound() > 0.5 && y.getUpperBound() >= 0.941, "linear range " + y.getRange());
        assertEquals("test accuracy", y.getLabel());

        Charts.Series nll = new Charts.Series("random order", new double[] {1, 2, 4},
                new double[] {0.8, 0.05, 0.002});
        JFreeChart log = Charts.sizeCurves("NLL", "test NLL", List.of(nll), true);
        XYPlot logPlot = log.getXYPlot();
        LogAxis logAxis = assertInstanceOf(LogAxis.class, logPlot.getRangeAxis());
        assertSeries(find(logPlot, "random order"), nll.x(), nll.y());
        // Values spanning almost three decades all fall inside the log axis's range.
        assertTrue(logAxis.getLowerBound() > 0 && logAxis.getLowerBound() <= 0.002 && logAxis.getUpperBound() >= 0.8,
                "log range " + logAxis.getRange());
        assertRenders(linear);
        assertRenders(log);
    }

    // ---------------------------------------------------------------- reliability

    /**
     * Bars over the non-empty bins only, each bar spanning its bin with the bin's accuracy as height; the
     * diagonal from (0,0) to (1,1); the mean confidence of each drawn bin as a point at the bin's middle.
     */
    @Test
    void reliabilityDrawsNonEmptyBinsTheDiagonalAndMeanConfidence() {
        // Bins 0, 2 and 3 must be skipped: empty (count 0, accuracy null), count 0 with a stray accuracy,
        // and count > 0 with a null accuracy.
        double[] lower = {0.0, 0.2, 0.4, 0.6, 0.8};
        double[] upper = {0.2, 0.4, 0.6, 0.8, 1.0};
        long[] count = {0, 3, 0, 5, 10};
        Double[] accuracy = {null, 1.0 / 3, 0.5, null, 0.9};
        Double[] confidence = {null, 0.31, 0.5, 0.7, 0.86};
        JFreeChart chart = Charts.reliability("Reliability, ECE 0.0400", new Charts.Bins(lower, upper, count, accuracy,
                confidence));
        XYPlot plot = chart.getXYPlot();

        SeriesRef bars = find(plot, "accuracy in bin");
        IntervalXYDataset barData = assertInstanceOf(IntervalXYDataset.class, bars.dataset());
        assertInstanceOf(XYBarRenderer.class, plot.getRendererForDataset(barData));
        int[] kept = {1, 4};
        assertEquals(kept.length, barData.getItemCount(bars.series()), "exactly the non-empty bins are drawn");
        for (int i = 0; i < kept.length; i++) {
            int b = kept[i];
            assertEquals(lower[b], barData.getStartXValue(bars.series(), i), EPS, "bar " + i + " left edge");
            assertEquals(upper[b], barData.getEndXValue(bars.series(), i), EPS, "bar " + i + " right edge");
            assertEquals(accuracy[b], barData.getYValue(bars.series(), i), EPS, "bar " + i + " height");
        }

        SeriesRef diagonal = find(plot, "perfect calibration");
        assertSeries(diagonal, new double[] {0, 1}, new double[] {0, 1});

        SeriesRef conf = find(plot, "mean confidence in bin");
        double[] midX = new double[kept.length];
        double[] confY = new double[kept.length];
        for (int i = 0; i < kept.length; i++) {
            midX[i] = (lower[kept[i]] + upper[kept[i]]) / 2;
            confY[i] = confidence[kept[i]];
        }
        assertSeries(conf, midX, confY);
        // Mean confidence is drawn as points, the diagonal as a line.
        XYLineAndShapeRenderer lines = assertInstanceOf(XYLineAndShapeRenderer.class,
                plot.getRendererForDataset(conf.dataset()));
        assertFalse(lines.getItemLineVisible(conf.series(), 0), "confidence is drawn as points, not a line");
        assertTrue(lines.getItemShapeVisible(conf.series(), 0), "confidence points must be visible");
        assertTrue(lines.getItemLineVisible(diagonal.series(), 0), "the diagonal is a line");

        // Both axes are probabilities, fixed to [0, 1] so diagrams of different models compare.
        assertEquals(new Range(0, 1), plot.getDomainAxis().getRange());
        assertEquals(new Range(0, 1), plot.getRangeAxis().getRange());
        assertRenders(chart);
    }

    /**
     * The bars are drawn over the diagonal and the mean-confidence points: XYPlot's default rendering order is
     * REVERSE (dataset 0, the bars, last), so a bin whose accuracy exceeds its confidence hides its point, and
     * the diagonal is hidden wherever it runs below a bar. Disabled until Charts.reliability is fixed (e.g.
     * plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD)); enable it then.
     */
    @Test
    void reliabilityDrawsConfidencePointsAboveTheBars() {
        JFreeChart chart = Charts.reliability("R", new Charts.Bins(new double[] {0.5}, new double[] {1.0},
                new long[] {10}, new Double[] {0.9}, new Double[] {0.7}));
        XYPlot plot = chart.getXYPlot();
        List<Integer> order = new ArrayList<>(plot.getDatasets().keySet());
        order.removeIf(i -> plot.getDataset(i) == null);
        order.sort(null);
        if (plot.getDatasetRenderingOrder() == DatasetRenderingOrder.REVERSE) {
            java.util.Collections.reverse(order);
        }
        XYDataset drawnLast = plot.getDataset(order.get(order.size() - 1));
        assertTrue(seriesIndex(drawnLast, "mean confidence in bin") >= 0,
                "the bars are drawn over the mean-confidence points (rendering order "
                        + plot.getDatasetRenderingOrder() + "): a point at confidence 0.7 inside a bar of "
                        + "accuracy 0.9 is invisible");
    }

    // ---------------------------------------------------------------- heatmap

    /**
     * One block per cell, the first row at the top; each axis label sits at the coordinate of its row or
     * column; a gray-to-dark scale from low to high with a legend; a ragged row is refused.
     */
    @Test
    void heatmapPlacesEveryCellUnderItsLabelsWithTheFirstRowOnTop() {
        String[] columns = {"cat", "dog"};
        String[] rows = {"true cat", "true dog", "true fox"};
        double[][] values = {{0.11, 0.12}, {0.21, 0.22}, {0.31, 0.32}}; // every cell distinct
        JFreeChart chart = Charts.heatmap("Confusion", "predicted", columns, "true", rows, values, "share", 0, 1);
        XYPlot plot = chart.getXYPlot();
        XYZDataset data = assertInstanceOf(XYZDataset.class, plot.getDataset());
        assertEquals(1, data.getSeriesCount());
        assertEquals(rows.length * columns.length, data.getItemCount(0));

        SymbolAxis x = assertInstanceOf(SymbolAxis.class, plot.getDomainAxis());
        SymbolAxis y = assertInstanceOf(SymbolAxis.class, plot.getRangeAxis());
        assertArrayEquals(columns, x.getSymbols());
        assertArrayEquals(new String[] {"true fox", "true dog", "true cat"}, y.getSymbols(),
                "row labels bottom to top, so the first row is at the top");
        assertEquals("predicted", x.getLabel());
        assertEquals("true", y.getLabel());

        // Every cell appears once, at x = column and y = rows-1-row, and the labels at its coordinates are
        // its own column's and row's.
        boolean[][] seen = new boolean[rows.length][columns.length];
        for (int i = 0; i < data.getItemCount(0); i++) {
            int c = (int) data.getXValue(0, i);
            int yv = (int) data.getYValue(0, i);
            assertEquals(c, data.getXValue(0, i), 0, "x is a whole column index");
            assertEquals(yv, data.getYValue(0, i), 0, "y is a whole row index");
            int r = rows.length - 1 - yv;
            assertFalse(seen[r][c], "cell (" + r + "," + c + ") appears twice");
            seen[r][c] = true;
            assertEquals(values[r][c], data.getZValue(0, i), EPS, "value of cell (" + r + "," + c + ")");
            assertEquals(columns[c], x.valueToString(c));
            assertEquals(rows[r], y.valueToString(yv));
        }
        for (int r = 0; r < rows.length; r++) {
            for (int c = 0; c < columns.length; c++) {
                assertTrue(seen[r][c], "cell (" + r + "," + c + ") is drawn");
            }
        }
        assertEquals(rows.length - 1, data.getYValue(0, indexOfZ(data, values[0][0])), 0,
                "the first row's first cell is at the top");

        // The color scale runs from low (light) to high (dark), and the legend uses the same scale and range.
        XYBlockRenderer renderer = assertInstanceOf(XYBlockRenderer.class, plot.getRenderer());
        PaintScale scale = renderer.getPaintScale();
        assertEquals(0, scale.getLowerBound(), EPS);
        assertEquals(1, scale.getUpperBound(), EPS);
        double previous = Double.MAX_VALUE;
        for (int i = 0; i <= 10; i++) {
            double l = luminance((Color) scale.getPaint(i / 10.0));
            assertTrue(l <= previous, "the scale darkens as the value grows, at " + i / 10.0);
            previous = l;
        }
        assertTrue(luminance((Color) scale.getPaint(0)) - luminance((Color) scale.getPaint(1)) > 100,
                "low and high must be clearly different");
        PaintScaleLegend legend = chart.getSubtitles().stream().filter(PaintScaleLegend.class::isInstance)
                .map(PaintScaleLegend.class::cast).findFirst().orElseThrow(() -> new AssertionError("no scale legend"));
        assertSame(scale, legend.getScale());
        assertEquals(new Range(0, 1), legend.getAxis().getRange());
        assertEquals("share", legend.getAxis().getLabel());
        assertRenders(chart);

        // A constant matrix with low == high (no disagreement at all) still builds and renders.
        assertRenders(Charts.heatmap("Zero", "member", columns, "member", columns,
                new double[][] {{0, 0}, {0, 0}}, "disagreement", 0, 0));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Charts.heatmap("Ragged",
                "predicted", columns, "true", rows, new double[][] {{1, 2}, {3}, {5, 6}}, "share", 0, 1));
        assertTrue(e.getMessage().contains("row 1"), "the message should name the ragged row: " + e.getMessage());
    }

    // ---------------------------------------------------------------- bars

    /** values.get(series)[category] lands in (series, category); mismatched lengths are refused. */
    @Test
    void barsHoldEachSeriesValuePerCategoryAndHonorTheRange() {
        List<String> categories = List.of("airplane", "bird", "cat");
        Map<String, double[]> values = new LinkedHashMap<>();
        values.put("best member", new double[] {0.81, 0.62, 0.43});
        values.put("ensemble", new double[] {0.84, 0.66, 0.47});
        JFreeChart chart = Charts.bars("Per-class accuracy", "class", "test accuracy", categories, values, 0.4, 0.9);
        CategoryPlot plot = chart.getCategoryPlot();
        CategoryDataset data = plot.getDataset();
        assertEquals(List.copyOf(values.keySet()), data.getRowKeys(), "one row per series, in the map's order");
        assertEquals(categories, data.getColumnKeys(), "one column per category, in the given order");
        for (Map.Entry<String, double[]> e : values.entrySet()) {
            for (int c = 0; c < categories.size(); c++) {
                assertEquals(e.getValue()[c], data.getValue(e.getKey(), categories.get(c)).doubleValue(), EPS,
                        e.getKey() + " / " + categories.get(c));
            }
        }
        NumberAxis axis = assertInstanceOf(NumberAxis.class, plot.getRangeAxis());
        assertEquals(new Range(0.4, 0.9), axis.getRange(), "given low and high fix the value axis");
        assertEquals("test accuracy", axis.getLabel());
        assertNotNull(chart.getLegend(), "two series need a legend");
        assertNotEquals(plot.getRenderer().getSeriesPaint(0), plot.getRenderer().getSeriesPaint(1),
                "the two series must be told apart by color");
        assertRenders(chart);

        // Without low and high the axis fits the data.
        JFreeChart auto = Charts.bars("One", "model", "accuracy", List.of("m0", "m1"),
                Map.of("accuracy", new double[] {0.3, 0.7}), null, null);
        Range autoRange = auto.getCategoryPlot().getRangeAxis().getRange();
        assertTrue(autoRange.contains(0.3) && autoRange.contains(0.7), "auto range " + autoRange);
        assertNull(auto.getLegend(), "a single series needs no legend");

        Map<String, double[]> ragged = new LinkedHashMap<>();
        ragged.put("ok", new double[] {1, 2, 3});
        ragged.put("short one", new double[] {1, 2});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Charts.bars("Bad", "class", "acc", categories, ragged, null, null));
        assertTrue(e.getMessage().contains("short one"), "the message should name the series: " + e.getMessage());
    }

    // ---------------------------------------------------------------- perLayer

    /**
     * A log y axis cannot show zero, negative or non-finite values: those points are dropped, and every other
     * point is kept at its own layer position (not shifted left into the gap).
     */
    @Test
    void perLayerDropsPointsALogAxisCannotShowAndKeepsTheRestAtTheirLayer() {
        String[] layers = {"conv1", "conv2", "conv3", "fc"};
        double[] x = {0, 1, 2, 3};
        Charts.Series m0 = new Charts.Series("m0", x, new double[] {1.0, 0.0, -2.0, 1e-3});
        Charts.Series m1 = new Charts.Series("m1", x,
                new double[] {Double.NaN, 5.0, Double.POSITIVE_INFINITY, 2.0});
        Charts.Series dead = new Charts.Series("dead", x, new double[] {0, 0, 0, 0});
        JFreeChart chart = Charts.perLayer("Activation std", "output std", layers, List.of(m0, m1, dead));
        XYPlot plot = chart.getXYPlot();
        LogAxis y = assertInstanceOf(LogAxis.class, plot.getRangeAxis());
        SymbolAxis xAxis = assertInstanceOf(SymbolAxis.class, plot.getDomainAxis());
        assertArrayEquals(layers, xAxis.getSymbols());

        assertSeries(find(plot, "m0"), new double[] {0, 3}, new double[] {1.0, 1e-3});
        assertSeries(find(plot, "m1"), new double[] {1, 3}, new double[] {5.0, 2.0});
        assertSeries(find(plot, "dead"), new double[0], new double[0]);
        // The kept values span 1e-3 to 5; the log axis shows all of them.
        assertTrue(y.getLowerBound() > 0 && y.getLowerBound() <= 1e-3 && y.getUpperBound() >= 5,
                "log range " + y.getRange());
        assertNotNull(chart.getLegend(), "several members need a legend");
        assertRenders(chart);
    }

    // ---------------------------------------------------------------- svg

    /**
     * The inline SVG is well-formed XML with an svg root in the SVG namespace, scales through a viewBox, carries
     * the title (with characters XML must escape) as its accessible name, and two figures on one page share no
     * id, so a clip path of one cannot be picked up by the other. Path coordinates carry at most two decimals,
     * each within half a hundredth of the coordinate JFreeSVG would write at full precision.
     */
    @Test
    void svgIsWellFormedScalableLabelledAndHasPageUniqueIds() throws Exception {
        String title = "Loss & \"NLL\" <per> 'epoch'";
        JFreeChart first = Charts.sizeCurves(title, "test NLL", List.of(
                new Charts.Series("random", new double[] {1, 2, 3}, new double[] {0.71, 0.6533, 0.61111})), false);
        JFreeChart second = Charts.reliability("Second", new Charts.Bins(new double[] {0, 0.5},
                new double[] {0.5, 1}, new long[] {4, 6}, new Double[] {0.25, 0.8333}, new Double[] {0.3, 0.77}));
        String svg1 = Charts.svg(first, 420, 260, "fig1");
        String svg2 = Charts.svg(second, 333, 217, "fig2");

        Document doc1 = parse(svg1);
        Document doc2 = parse(svg2);
        Element root1 = doc1.getDocumentElement();
        assertEquals("svg", root1.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root1.getNamespaceURI());
        assertEquals("0 0 420 260", root1.getAttribute("viewBox"));
        assertEquals("0 0 333 217", doc2.getDocumentElement().getAttribute("viewBox"));
        assertEquals("fig1", root1.getAttribute("id"));
        assertEquals(title, root1.getAttribute("aria-label"), "the title, escaped and read back by the parser");
        assertEquals("Second", doc2.getDocumentElement().getAttribute("aria-label"));
        assertTrue(texts(doc1).contains(title), "the title is drawn as text: " + texts(doc1));

        // Ids: unique within each figure, disjoint between the two, and every url(#...) reference resolves
        // within its own figure.
        List<String> ids1 = ids(doc1);
        List<String> ids2 = ids(doc2);
        assertTrue(ids1.size() > 1 && ids2.size() > 1, "the figures define clip paths: " + ids1 + " " + ids2);
        assertEquals(ids1.size(), new HashSet<>(ids1).size(), "duplicate id in one figure: " + ids1);
        Set<String> common = new HashSet<>(ids1);
        common.retainAll(ids2);
        assertEquals(Set.of(), common, "ids shared by two figures on one page");
        assertReferencesResolve(svg1, ids1);
        assertReferencesResolve(svg2, ids2);

        // Path data: at most two decimals, and the rounding is to the nearest hundredth.
        for (JFreeChart chart : List.of(first, second)) {
            String rounded = Charts.svg(chart, 420, 260, "r");
            SVGGraphics2D full = new SVGGraphics2D(420, 260);
            chart.draw(full, new Rectangle2D.Double(0, 0, 420, 260));
            List<String> roundedPaths = pathData(parse(rounded));
            List<String> fullPaths = pathData(parse(full.getSVGElement()));
            assertTrue(roundedPaths.size() > 5, "the chart draws paths");
            assertEquals(fullPaths.size(), roundedPaths.size());
            boolean anyFraction = false;
            for (int p = 0; p < roundedPaths.size(); p++) {
                String d = roundedPaths.get(p);
                Matcher tooLong = Pattern.compile("\\d*\\.\\d{3,}|[eE]").matcher(d);
                assertFalse(tooLong.find(), "more than two decimals in path data: " + d);
                List<Double> r = numbers(d);
                List<Double> f = numbers(fullPaths.get(p));
                assertEquals(f.size(), r.size(), "same path, same number of coordinates: " + d);
                for (int i = 0; i < r.size(); i++) {
                    assertEquals(f.get(i), r.get(i), 0.005 + 1e-9, "coordinate " + i + " of " + d);
                    anyFraction |= r.get(i) != Math.rint(r.get(i));
                }
            }
            assertTrue(anyFraction, "the check should meet some fractional coordinates");
        }
    }

    /**
     * The title is spliced into the svg start tag with String.replaceFirst, which reads '$' and '\' in the
     * replacement as group references and escapes: a '$' throws, a '\' disappears. Disabled until Charts.svg
     * quotes the replacement (Matcher.quoteReplacement) or splices without regex; enable it then.
     */
    @Test
    void svgKeepsDollarSignsAndBackslashesInTheTitle() throws Exception {
        for (String title : List.of("cost in $1", "runs under C:\\chorus\\run")) {
            JFreeChart chart = Charts.bars(title, "c", "v", List.of("a"), Map.of("s", new double[] {1}), null, null);
            String svg = assertDoesNotThrow(() -> Charts.svg(chart, 200, 150, "t"), "title " + title);
            assertEquals(title, parse(svg).getDocumentElement().getAttribute("aria-label"));
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A series located by key in one of a plot's datasets. */
    private record SeriesRef(XYDataset dataset, int datasetIndex, int series) {
    }

    private static int seriesIndex(XYDataset dataset, String key) {
        for (int s = 0; s < dataset.getSeriesCount(); s++) {
            if (key.equals(dataset.getSeriesKey(s))) {
                return s;
            }
        }
        return -1;
    }

    private static boolean hasSeries(XYPlot plot, String key) {
        return plot.getDatasets().values().stream().anyMatch(d -> d != null && seriesIndex(d, key) >= 0);
    }

    /** The one series named {@code key} among all of the plot's datasets. */
    private static SeriesRef find(XYPlot plot, String key) {
        SeriesRef found = null;
        for (Map.Entry<Integer, XYDataset> e : plot.getDatasets().entrySet()) {
            if (e.getValue() == null) {
                continue;
            }
            int s = seriesIndex(e.getValue(), key);
            if (s >= 0) {
                assertNull(found, "series " + key + " appears twice");
                found = new SeriesRef(e.getValue(), e.getKey(), s);
            }
        }
        assertNotNull(found, "no series " + key);
        return found;
    }

    /** The series holds exactly these points in this order; a non-finite expected y is a gap (null y). */
    private static void assertSeries(SeriesRef ref, double[] x, double[] y) {
        XYDataset d = ref.dataset();
        int s = ref.series();
        assertEquals(x.length, d.getItemCount(s), "points of " + d.getSeriesKey(s));
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], d.getXValue(s, i), EPS, d.getSeriesKey(s) + " x[" + i + "]");
            if (Double.isFinite(y[i])) {
                assertEquals(y[i], d.getYValue(s, i), EPS, d.getSeriesKey(s) + " y[" + i + "]");
            } else {
                assertNull(d.getY(s, i), d.getSeriesKey(s) + " y[" + i + "] should be a gap");
            }
        }
    }

    private static int indexOfZ(XYZDataset data, double z) {
        for (int i = 0; i < data.getItemCount(0); i++) {
            if (data.getZValue(0, i) == z) {
                return i;
            }
        }
        throw new AssertionError("no cell with value " + z);
    }

    private static double luminance(Color c) {
        return 0.2126 * c.getRed() + 0.7152 * c.getGreen() + 0.0722 * c.getBlue();
    }

    /** Renders the chart through Charts.svg and checks the result is well-formed SVG. */
    private static void assertRenders(JFreeChart chart) {
        String svg = assertDoesNotThrow(() -> Charts.svg(chart, 400, 300, "x"));
        Document doc = assertDoesNotThrow(() -> parse(svg));
        assertEquals("svg", doc.getDocumentElement().getLocalName());
        assertEquals(chart.getTitle().getText(), doc.getDocumentElement().getAttribute("aria-label"));
    }

    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    }

    private static List<Element> elements(Document doc) {
        NodeList all = doc.getElementsByTagNameNS("*", "*");
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < all.getLength(); i++) {
            out.add((Element) all.item(i));
        }
        return out;
    }

    private static List<String> ids(Document doc) {
        return elements(doc).stream().filter(e -> e.hasAttribute("id")).map(e -> e.getAttribute("id")).toList();
    }

    private static List<String> texts(Document doc) {
        return elements(doc).stream().filter(e -> e.getLocalName().equals("text")).map(Element::getTextContent)
                .toList();
    }

    private static List<String> pathData(Document doc) {
        return elements(doc).stream().filter(e -> e.hasAttribute("d")).map(e -> e.getAttribute("d")).toList();
    }

    private static void assertReferencesResolve(String svg, List<String> ids) {
        Matcher m = Pattern.compile("url\\(#([^)]+)\\)").matcher(svg);
        int refs = 0;
        while (m.find()) {
            refs++;
            assertTrue(ids.contains(m.group(1)), "reference to an id not defined in this figure: " + m.group(1));
        }
        assertTrue(refs > 0, "the figure references its clip paths");
    }

    private static List<Double> numbers(String pathData) {
        Matcher m = Pattern.compile("-?\\d+(?:\\.\\d+)?(?:[eE]-?\\d+)?").matcher(pathData);
        List<Double> out = new ArrayList<>();
        while (m.find()) {
            out.add(Double.parseDouble(m.group()));
        }
        return out;
    }

    @Test
    void logAxisTickLabelsAreCompact() {
        assertEquals("0.01", Charts.compact(0.01));
        assertEquals("10", Charts.compact(10.0));
        assertEquals("2.5", Charts.compact(2.5));
        assertEquals("-0.5", Charts.compact(-0.5));
        assertEquals("1e-5", Charts.compact(1e-5));
        assertEquals("1.23e-4", Charts.compact(0.000123));
        assertEquals("1.23e5", Charts.compact(123456));
        assertEquals("3.2e12", Charts.compact(3.2e12));
    }
}
