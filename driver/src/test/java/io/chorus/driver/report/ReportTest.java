package io.chorus.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.driver.report.Summary.Column;
import io.chorus.driver.report.Summary.Row;

/** The summary, the page and the CSV of the hand-written run of {@link ReportFixture}. */
class ReportTest {
    @TempDir
    File tmp;

    private FileSystem fs() throws IOException {
        return FileSystem.getLocal(new Configuration()).getRaw();
    }

    private ReportData data(boolean diagnostics) throws IOException {
        File dir = ReportFixture.write(new File(tmp, "run"), diagnostics);
        return ReportData.read(fs(), new Path(dir.getAbsolutePath()));
    }

    private static Map<String, Row> byName(List<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        rows.forEach(r -> m.put(r.name(), r));
        return m;
    }

    @Test
    void theBestOfEachColumnIsMarkedWithTiesAndOnlyAmongTheHeadlineRows() throws IOException {
        List<Row> rows = new Summary(data(true)).rows();
        Map<Column, Set<String>> best = Summary.best(rows);
        assertEquals(Set.of("average", "selection"), best.get(Column.ACCURACY));
        assertEquals(Set.of("average"), best.get(Column.NLL));
        assertEquals(Set.of("selection"), best.get(Column.BRIER));
        assertEquals(Set.of("heads"), best.get(Column.ECE));
        assertEquals(Set.of("m1"), best.get(Column.INFERENCE));
        assertEquals(Set.of("m0", "m1", "m0-swa", "cross-average"), best.get(Column.PARAMETERS));
        // m0-s0 (10 s of training) and the single heads are folded away, so they are not candidates.
        assertEquals(Set.of("m0", "m1"), best.get(Column.TRAINING));
        assertFalse(byName(rows).get("m0-s0").headline());
        assertFalse(byName(rows).get("heads-h0").headline());
    }

    @Test
    void costsOfEnsemblesAddUpTheirSources() throws IOException {
        Map<String, Row> r = byName(new Summary(data(true)).rows());
        assertEquals(10.0, r.get("m0-s0").get(Column.TRAINING), 1e-9, "snapshot after epoch 1 of m0");
        assertEquals(34.0, r.get("m0-swa").get(Column.TRAINING), 1e-9, "m0 plus 4 s of averaging");
        assertEquals(65.0, r.get("cross-average").get(Column.TRAINING), 1e-9, "both members plus 5 s");
        assertEquals(60.0, r.get("average").get(Column.TRAINING), 1e-9);
        assertEquals(35.0, r.get("heads").get(Column.TRAINING), 1e-9, "backbone m0 plus 2 + 3 s of heads");
        assertEquals(40.0, r.get("selection").get(Column.TRAINING), 1e-9, "m0 up to epoch 1, all of m1");
        assertEquals(2000.0, r.get("average").get(Column.PARAMETERS), 0.0);
        assertEquals(1400.0, r.get("heads").get(Column.PARAMETERS), 0.0, "two heads plus the backbone member");
        assertEquals(null, r.get("heads-h0").get(Column.INFERENCE), "a head alone has no inference time");
    }

    @Test
    void thePageHasEverySectionAndShowsTheNumbersOfMetricsJson() throws IOException {
        ReportData data = data(true);
        String page = HtmlReport.render(data);
        for (String id : HtmlReport.SECTIONS) {
            assertTrue(page.contains("<section id=\"" + id + "\">"), id);
        }
        Pattern cell = Pattern.compile("<tr data-name=\"([^\"]+)\">(.*?)</tr>", Pattern.DOTALL);
        Pattern value = Pattern.compile("data-metric=\"(\\w+)\" data-value=\"([^\"]+)\"");
        Map<String, Row> rows = byName(new Summary(data).rows());
        int checked = 0;
        Matcher m = cell.matcher(page.substring(page.indexOf("<section id=\"summary\">"), page.indexOf("<section id=\"training\">")));
        while (m.find()) {
            Row row = rows.get(m.group(1));
            Matcher v = value.matcher(m.group(2));
            while (v.find()) {
                Column c = Column.valueOf(v.group(1).toUpperCase(java.util.Locale.ROOT));
                assertEquals(row.get(c), Double.parseDouble(v.group(2)), 0.0, row.name() + " " + c);
                checked++;
            }
        }
        assertEquals(8 * 7 + 3 * 7 - 2, checked, "every known value of 11 rows (the heads have no inference time)");
        assertTrue(page.contains("<td class=\"num best\" data-metric=\"nll\" data-value=\"0.7\">0.7000 &#9650;</td>"),
                "average's NLL is marked best");
        // Three classes and no Fashion-MNIST: classes are named by index.
        assertTrue(page.contains("<th>true \\ predicted</th><th>0</th><th>1</th><th>2</th>"));
        assertTrue(page.contains("+4.00 accuracy points, NLL &minus;10.3%"), "average's gain in words");
        assertTrue(page.contains("selection</strong> (the best ensemble on validation NLL)"));
        assertTrue(page.contains("#1 crashed on 1, from iteration 0, GPU 1<br>#2 finished on 3, from iteration 10, GPU 1"),
                "attempts with their GPUs");
        assertTrue(page.contains("<li>m1: snapshots/e1-bad.zip (recorded SHA-256 aa, found bb, 2026-01-01T00:00:30Z)</li>"),
                "the quarantined snapshot");
        assertFalse(Pattern.compile("(src|href)=\"(https?:)?//").matcher(page).find(),
                "the page loads nothing from the network");
        assertFalse(page.contains("<script src") || page.contains("<link") || page.contains("<img"),
                "no external scripts, styles or images");
    }

    @Test
    void diagnosticsTableShowsTheRecordedNumbers() throws IOException {
        String page = HtmlReport.render(data(true));
        String diag = page.substring(page.indexOf("<section id=\"diagnostics\">"), page.indexOf("<section id=\"provenance\">"));
        // m0: conv1 std 1.2, last hidden (pool1) 0.9, 2 updates; conv1 gradient mean 0.45, output 1.75.
        assertTrue(diag.contains("<tr data-member=\"0\"><td>m0</td><td class=\"num\">64</td><td class=\"num\">1.20</td>"
                + "<td class=\"num\">0.900</td><td class=\"num\">2</td><td class=\"num\">0.450</td>"
                + "<td class=\"num\">1.75</td><td class=\"num\">0.257</td></tr>"), diag);
        String old = HtmlReport.render(data(false));
        assertTrue(old.contains("recorded no diagnostics"));
    }

    @Test
    void withoutAnEvaluationThePageShowsTrainingAndProvenance() throws IOException {
        File dir = ReportFixture.write(new File(tmp, "run"), true);
        Files.delete(dir.toPath().resolve("eval/metrics.json"));
        Files.delete(dir.toPath().resolve("eval/models.json"));
        String page = HtmlReport.render(ReportData.read(fs(), new Path(dir.getAbsolutePath())));
        assertTrue(page.contains("This run has no evaluation"));
        assertTrue(page.contains("id=\"fig-training-m0\""));
        assertTrue(page.contains("<tr data-member=\"1\" data-status=\"finished\">"));
    }

    @Test
    void metricsCsvHasARowPerModelAndEnsembleWithQuotingAndEmptyUnknowns() throws IOException {
        List<Row> rows = new Summary(data(true)).rows();
        List<String> lines = MetricsCsv.of(rows).lines().toList();
        assertEquals(MetricsCsv.HEADER, lines.get(0));
        assertEquals(1 + 7 + 4, lines.size());
        assertEquals("average,ensemble,0.76,0.7,0.35,0.03,0.76,0.69,3.0,2000,60.0,\"how, with a comma\",,,", lines.get(8));
        assertTrue(lines.get(6).startsWith("heads-h0,head,0.69,0.81,0.41,0.05,0.69,0.8200000000000001,,200,2.0,"),
                lines.get(6));
    }

    @Test
    void reportCommandReplacesTheReportAndRefusesBadInputWithoutTouchingIt() throws IOException {
        File dir = ReportFixture.write(new File(tmp, "run"), true);
        CliRun first = CliRun.of("report", dir.getAbsolutePath());
        assertEquals(ExitCode.SUCCESS, first.code(), first.err());
        File page = new File(dir, "report/index.html");
        String before = Files.readString(page.toPath());
        assertTrue(before.startsWith("<!DOCTYPE html>"));

        CliRun again = CliRun.of("report", dir.getAbsolutePath());
        assertEquals(ExitCode.SUCCESS, again.code(), again.err());
        assertEquals(before, Files.readString(page.toPath()), "the same run gives the same page");
        assertEquals(Set.of("index.html", "metrics.csv"), Set.of(new File(dir, "report").list()));

        Files.writeString(dir.toPath().resolve("eval/metrics.json"), "{\"models\": [");
        CliRun broken = CliRun.of("report", dir.getAbsolutePath());
        assertEquals(ExitCode.BAD_INPUT, broken.code());
        assertTrue(broken.err().contains("metrics.json is not valid JSON"), broken.err());
        assertEquals(before, Files.readString(page.toPath()), "a failed report leaves the previous one");
        for (String name : dir.list()) {
            assertFalse(name.startsWith("report.tmp-"), "staging left behind: " + name);
        }

        Files.writeString(dir.toPath().resolve("eval/metrics.json"), ReportFixture.METRICS);
        Files.writeString(dir.toPath().resolve("members/member-001/member.json"), "{\"member\": \"one\"");
        CliRun badMember = CliRun.of("report", dir.getAbsolutePath());
        assertEquals(ExitCode.BAD_INPUT, badMember.code());
        assertTrue(badMember.err().contains("member-001/member.json is not a readable member manifest"), badMember.err());
        assertEquals(before, Files.readString(page.toPath()));

        CliRun none = CliRun.of("report", new File(tmp, "nowhere").getAbsolutePath());
        assertEquals(ExitCode.BAD_INPUT, none.code());
        assertTrue(none.err().contains("nowhere is not a Chorus run directory: it does not exist"), none.err());
        assertEquals(ExitCode.BAD_INPUT, CliRun.of("report").code());
    }

    @Test
    void readingARunWithoutRunJsonNamesWhatIsMissing() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReportData.read(fs(), new Path(tmp.getAbsolutePath())));
        assertTrue(e.getMessage().contains("no run.json"), e.getMessage());
    }
}
