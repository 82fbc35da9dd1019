package io.chorus.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.chorus.driver.report.Summary.Column;
import io.chorus.driver.report.Summary.Row;

/** The summary's two temperature-scaled columns, from metrics.json's temperature_scaled entries where present. */
class ReportTemperatureScaledTest {
    @TempDir
    File tmp;

    @Test
    void theScaledNllAndEceAreShownWhereMetricsJsonHasThemAndADashElsewhere() throws IOException {
        File dir = ReportFixture.write(new File(tmp, "run"), false);
        Path metrics = dir.toPath().resolve("eval/metrics.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode tree = (ObjectNode) json.readTree(metrics.toFile());
        ObjectNode average = (ObjectNode) tree.path("ensembles").get(0);
        assertEquals("average", average.path("name").asText());
        average.set("temperature_scaled", json.readTree(
                "{\"temperature\": 1.7, \"test\": {\"accuracy\": 0.76, \"nll\": 0.55, \"brier\": 0.3, \"ece\": 0.012}}"));
        Files.writeString(metrics, json.writeValueAsString(tree));
        ReportData data = ReportData.read(FileSystem.getLocal(new Configuration()).getRaw(),
                new org.apache.hadoop.fs.Path(dir.getAbsolutePath()));

        Map<String, Row> rows = new java.util.HashMap<>();
        new Summary(data).rows().forEach(r -> rows.put(r.name(), r));
        assertEquals(0.55, rows.get("average").get(Column.NLL_T), 0.0);
        assertEquals(0.012, rows.get("average").get(Column.ECE_T), 0.0);
        assertNull(rows.get("m0").get(Column.NLL_T), "no temperature_scaled entry: unknown");
        assertEquals(Set.of("average"), Summary.best(new Summary(data).rows()).get(Column.NLL_T));

        String page = HtmlReport.render(data);
        assertTrue(page.contains("<th>NLL (T-scaled)</th><th>ECE (T-scaled)</th>"), "the two column heads");
        assertTrue(page.contains("<td class=\"num best\" data-metric=\"nll_t\" data-value=\"0.55\">0.5500 &#9650;</td>"
                + "<td class=\"num best\" data-metric=\"ece_t\" data-value=\"0.012\">0.0120 &#9650;</td>"), "average's cells");
        assertTrue(page.contains("<td class=\"num\" data-metric=\"nll_t\">&ndash;</td>"), "a dash where unknown");
    }
}
