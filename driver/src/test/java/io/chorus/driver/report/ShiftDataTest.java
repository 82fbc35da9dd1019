package io.chorus.driver.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jfree.chart.JFreeChart;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.chorus.worker.fs.Json;

/** The report's reading of metrics.json's shift section, and its figure against severity. */
class ShiftDataTest {
    /** Two rows, two kinds, severities 0..2 (the worst is 2). */
    private static final String METRICS = """
            {"shift": {"kinds": ["rotation", "contrast"], "severities": [0, 1, 2], "examples": 40, "best_member": "m1",
              "rows": [
                {"name": "m1", "kind": "best-member", "members": ["m1"],
                 "mean": [{"severity": 0, "accuracy": 0.9, "nll": 0.3, "ece": 0.02},
                          {"severity": 1, "accuracy": 0.7, "nll": 0.9, "ece": 0.1},
                          {"severity": 2, "accuracy": 0.4, "nll": 2.0, "ece": 0.3}],
                 "worst": {"severity": 2, "mean": {"accuracy": 0.4, "nll": 2.0, "ece": 0.3},
                           "by_kind": {"rotation": {"accuracy": 0.2, "nll": 3.0, "ece": 0.5},
                                       "contrast": {"accuracy": 0.6, "nll": 1.0, "ece": 0.1}}}},
                {"name": "vote", "kind": "ensemble", "members": ["m0", "m1"],
                 "mean": [{"severity": 0, "accuracy": 0.91, "nll": 3.0, "ece": 0.05},
                          {"severity": 1, "accuracy": 0.72, "nll": 9.0, "ece": 0.2},
                          {"severity": 2, "accuracy": 0.45, "nll": 20.0, "ece": 0.4}],
                 "worst": {"severity": 2, "mean": {"accuracy": 0.45, "nll": 20.0, "ece": 0.4},
                           "by_kind": {"rotation": {"accuracy": 0.25, "nll": 30.0, "ece": 0.6},
                                       "contrast": {"accuracy": 0.65, "nll": 10.0, "ece": 0.2}}}}]}}
            """;

    private static ReportData data(String metrics) throws IOException {
        JsonNode m = Json.MAPPER.readTree(metrics);
        return new ReportData("run", Json.MAPPER.readTree("{}"), Optional.empty(), Map.of(), Optional.of(m),
                Optional.empty());
    }

    @Test
    void theSectionIsReadAsItIsAndDrawnAgainstSeverity() throws IOException {
        ShiftData d = ShiftData.of(data(METRICS)).orElseThrow();
        assertEquals(List.of("rotation", "contrast"), d.kinds());
        assertEquals(2, d.worst());
        assertEquals(40, d.examples());
        assertEquals("m1", d.bestMember());
        assertEquals(0.2, d.line("m1").orElseThrow().worstByKind().get("rotation").accuracy(), 0);
        assertEquals(20.0, d.line("vote").orElseThrow().worstMean().nll(), 0);

        List<Charts.Series> nll = d.series(ShiftData.Figures::nll, List.of("vote"));
        assertEquals(1, nll.size(), "the vote is left out");
        assertEquals("m1 (best member)", nll.get(0).name());
        assertArrayEquals(new double[] {0, 1, 2}, nll.get(0).x(), 0);
        assertArrayEquals(new double[] {0.3, 0.9, 2.0}, nll.get(0).y(), 0);

        List<Charts.Series> acc = d.series(ShiftData.Figures::accuracy, List.of());
        JFreeChart chart = Charts.againstSeverity("Accuracy under shift", "severity", "test accuracy", acc);
        assertEquals(2, chart.getXYPlot().getDataset().getSeriesCount());
        assertEquals("severity", chart.getXYPlot().getDomainAxis().getLabel());
        assertEquals(0.45, chart.getXYPlot().getDataset().getYValue(1, 2), 0);
        assertTrue(Charts.svg(chart, 400, 300, "t").startsWith("<svg "));
    }

    @Test
    void anEvaluationWithoutShiftHasNoShiftData() throws IOException {
        assertTrue(ShiftData.of(data("{\"models\": []}")).isEmpty());
        String csv = MetricsCsv.of(List.of(), ShiftData.of(data("{\"models\": []}")));
        assertTrue(csv.startsWith(MetricsCsv.HEADER + "\n"), csv);
    }
}
