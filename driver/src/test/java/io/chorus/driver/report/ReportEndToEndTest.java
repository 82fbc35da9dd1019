package io.chorus.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.chorus.driver.eval.TinyRun;
import io.chorus.worker.fs.Json;

/**
 * The report of a tiny run trained and evaluated through Spark, written at the end of {@code chorus train}
 * and loaded from disk in headless Chromium: no console errors, every section present, the numbers on the
 * page equal those in eval/metrics.json, and a screenshot under target/report-screenshots.
 */
class ReportEndToEndTest {
    static TinyRun run;
    static HeadlessChromium browser;
    static Path page;
    static JsonNode metrics;

    @BeforeAll
    static void trainAndOpen() throws IOException {
        HeadlessChromium.requireOrSkip();
        run = TinyRun.get();
        page = new File(run.dir(), "report/index.html").toPath();
        assertTrue(Files.exists(page), "chorus train wrote no report: " + run.train().out() + run.train().err());
        metrics = Json.MAPPER.readTree(new File(run.dir(), "eval/metrics.json"));
        Path work = Files.createDirectories(Path.of("target", "report-e2e"));
        browser = HeadlessChromium.start(work);
        browser.browserLog(); // reading empties it: start from a clean log
        browser.open(page.toAbsolutePath());
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void loadsWithoutConsoleErrorsAndSavesAScreenshot() throws IOException {
        assertEquals(List.of(), browser.severeConsoleMessages());
        Path shots = Files.createDirectories(Path.of("target", "report-screenshots"));
        Path png = shots.resolve("tiny-run-report.png");
        browser.fullPageScreenshot(png);
        byte[] bytes = Files.readAllBytes(png);
        assertTrue(bytes.length > 50_000, "screenshot of " + bytes.length + " bytes");
        assertEquals((byte) 0x89, bytes[0]);
        assertEquals('P', bytes[1]);
    }

    @Test
    void everySectionIsPresentWithItsFigures() {
        for (String id : HtmlReport.SECTIONS) {
            Object found = browser.script("var s = document.getElementById(arguments[0]);"
                    + "return s ? s.querySelectorAll('h2').length : -1;", id);
            assertEquals(1L, ((Number) found).longValue(), "section " + id);
        }
        Object rendered = browser.script("return Array.from(document.querySelectorAll('figure svg'))"
                + ".filter(function (s) { var r = s.getBoundingClientRect(); return r.width > 200 && r.height > 150; })"
                + ".length;");
        Object figures = browser.script("return document.querySelectorAll('figure').length;");
        assertEquals(((Number) figures).longValue(), ((Number) rendered).longValue(), "every figure renders at size");
        // 3 equal-budget figures (accuracy, NLL, ECE against cost), 2 training charts (member 2 diverged within
        // its first epoch), 3 size curves, reliability of the best member and 7 ensembles, confusion and
        // per-class accuracy, disagreement, averaging, 2 diagnostics (no shift figures: the run has no shift).
        assertEquals(22L, ((Number) figures).longValue());
        Object classNames = browser.script("return Array.from(document.querySelectorAll('table.confusion tbody th'))"
                + ".map(function (t) { return t.textContent; });");
        assertEquals(ReportData.FASHION_MNIST_CLASSES, classNames);
        Object diverged = browser.script("return document.querySelector('#provenance tr[data-member=\"2\"]')"
                + ".getAttribute('data-status');");
        assertEquals("diverged", diverged);
    }

    @Test
    @SuppressWarnings("unchecked")
    void summaryNumbersEqualThoseOfMetricsJson() {
        List<Map<String, Object>> cells = (List<Map<String, Object>>) browser.script(
                "return Array.from(document.querySelectorAll('table.summary-table td[data-value], "
                        + "table.snapshot-table td[data-value]')).map(function (td) { return {"
                        + "name: td.parentElement.getAttribute('data-name'), metric: td.getAttribute('data-metric'),"
                        + "value: td.getAttribute('data-value'), text: td.textContent}; });");
        Map<String, JsonNode> byName = new HashMap<>();
        metrics.get("models").forEach(m -> byName.put(m.get("id").asText(), m));
        metrics.get("ensembles").forEach(e -> byName.put(e.get("name").asText(), e));
        List<String> checked = new ArrayList<>();
        for (Map<String, Object> c : cells) {
            String name = (String) c.get("name");
            String metric = (String) c.get("metric");
            JsonNode m = byName.get(name);
            assertTrue(m != null, "the page shows " + name + ", which metrics.json does not hold");
            double shown = Double.parseDouble((String) c.get("value"));
            JsonNode expected = switch (metric) {
                case "accuracy", "nll", "brier", "ece" -> m.get("test").get(metric);
                case "nll_t", "ece_t" -> m.get("temperature_scaled").get("test").get(metric.substring(0, 3));
                case "inference" -> m.get("inference_seconds");
                case "parameters" -> m.has("parameters") ? m.get("parameters") : null;
                default -> null;
            };
            if (expected != null) {
                assertEquals(expected.asDouble(), shown, 0.0, name + " " + metric);
                if (metric.equals("accuracy")) {
                    assertEquals(String.format(java.util.Locale.ROOT, "%.4f", expected.asDouble()),
                            ((String) c.get("text")).replace("▲", "").trim(), name + " accuracy as printed");
                }
                checked.add(name + "/" + metric);
            }
        }
        int rows = metrics.get("models").size() + metrics.get("ensembles").size();
        assertTrue(checked.size() >= rows * 5, "checked " + checked.size() + " cells for " + rows + " rows");
        for (JsonNode e : metrics.get("ensembles")) {
            assertTrue(checked.contains(e.get("name").asText() + "/nll"), e.get("name") + " missing from the page");
        }
    }

    @Test
    void theHeadlineStatesEachEnsemblesGainAsMetricsJsonHasIt() {
        for (JsonNode g : metrics.get("gain_over_best_member")) {
            String text = (String) browser.script("var li = document.querySelector('#headline li[data-ensemble=\"'"
                    + " + arguments[0] + '\"]'); return li ? li.textContent : null;", g.get("ensemble").asText());
            assertTrue(text != null, "no headline for " + g.get("ensemble"));
            String points = String.format(java.util.Locale.ROOT, "%+.2f", 100 * g.get("accuracy").asDouble())
                    .replace("-", "\u2212");
            assertTrue(text.contains(points + " accuracy points"), text + " lacks " + points);
        }
        Object best = browser.script("return document.querySelector('#headline strong').textContent;");
        assertEquals(metrics.get("best_member").asText(), best);
    }

    @Test
    void metricsCsvHoldsARowPerModelAndEnsemble() throws IOException {
        List<String> lines = Files.readAllLines(new File(run.dir(), "report/metrics.csv").toPath());
        assertEquals(MetricsCsv.HEADER, lines.get(0));
        assertEquals(1 + metrics.get("models").size() + metrics.get("ensembles").size(), lines.size());
        assertFalse(new File(run.dir(), "report").list().length != 2, "report/ holds only the page and the CSV");
        JsonNode runJson = Json.MAPPER.readTree(new File(run.dir(), "run.json"));
        assertEquals("succeeded", runJson.get("report").get("status").asText());
    }
}
