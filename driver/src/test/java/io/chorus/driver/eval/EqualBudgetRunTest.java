package io.chorus.driver.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;

/**
 * Members that differ and the reference model of compare.single_budget, through {@code chorus train} on real
 * Spark: each member trains what its own keys say, run.json records it, the reference trains for the members'
 * epochs together, and the evaluation and the report compare it with the ensemble at that cost.
 */
class EqualBudgetRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aHeterogeneousJobWithAReferenceModelIsTrainedEvaluatedAndReportedAtEqualCost(@TempDir Path tmp)
            throws IOException {
        String job = "seed: 11\ndata:\n  dir: /usr/share/datasets/fashion-mnist\n  limit: 700\n  validation: 200\n"
                + "model:\n  batchnorm: true\ntrain:\n  epochs: 2\n  batch: 50\n  lr: 0.05\n"
                + "members:\n  - {}\n  - train: {epochs: 3, lr: 0.1, schedule: swa}\n    swa: {start: 0.3, every: 1}\n"
                + "compare:\n  single_budget: true\nevaluate:\n  test_limit: 300\n";
        File yaml = tmp.resolve("job.yaml").toFile();
        Files.writeString(yaml.toPath(), job);
        File run = tmp.resolve("run").toFile();
        CliRun train = CliRun.of("train", yaml.getAbsolutePath(), "--run-dir", run.getAbsolutePath(), "--master",
                "local[2]", "--conf", "spark.ui.enabled=false");
        assertEquals(ExitCode.SUCCESS, train.code(), train.out() + train.err());

        JsonNode members = JSON.readTree(new File(run, "run.json")).path("members");
        assertEquals(3, members.size());
        assertEquals(List.of("member", "member", "single_budget"), texts(members, "role"));
        assertEquals(0.1, members.get(1).path("configuration").path("train").path("lr").asDouble());
        assertEquals("swa", members.get(1).path("configuration").path("train").path("schedule").asText());
        assertEquals(0.05, members.get(0).path("configuration").path("train").path("lr").asDouble());
        assertEquals(5, members.get(2).path("configuration").path("train").path("epochs").asInt(),
                "the reference trains for the members' 2 + 3 epochs");
        assertEquals(members.get(2).path("seed").asLong(), members.get(2).path("configuration").path("seed").asLong());
        JsonNode reference = JSON.readTree(new File(run, "members/member-002/member.json"));
        assertEquals(5, reference.path("epochs_planned").asInt());
        assertEquals(5, reference.path("epochs").size());

        JsonNode metrics = JSON.readTree(new File(run, "eval/metrics.json"));
        JsonNode average = find(metrics.path("ensembles"), "name", "average");
        assertEquals(List.of("m0", "m1"), texts(average.path("members"), null));
        assertEquals(5.0, average.path("cost").path("member_epochs").asDouble());
        JsonNode rows = metrics.path("equal_budget");
        JsonNode single = find(rows, "name", "single model, same budget");
        assertEquals(5.0, single.path("member_epochs").asDouble());
        assertEquals(find(metrics.path("models"), "id", "m2").path("test").path("accuracy").asDouble(),
                single.path("accuracy").asDouble());
        assertTrue(single.path("core_seconds").asDouble() > 0);
        assertEquals(3.0, find(rows, "name", "m1-swa").path("member_epochs").asDouble(),
                "the trajectory average of m1 costs m1's run");

        String html = Files.readString(run.toPath().resolve("report/index.html"));
        int budget = html.indexOf("<section id=\"equal-budget\">");
        assertTrue(budget > 0 && budget < html.indexOf("<section id=\"summary\">"), "the equal-budget section comes first");
        assertTrue(html.contains("data-row=\"single model, same budget\""), "its table lists the reference");
        assertTrue(html.contains("At the ensemble's training cost (5 member-epochs), one network trained for all of it "
                + "reaches test accuracy"), "the headline answers the equal-budget question");
    }

    private static List<String> texts(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(field == null ? n.asText() : n.path(field).asText()));
        return out;
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (n.path(field).asText().equals(value)) {
                return n;
            }
        }
        throw new AssertionError("no " + field + " = " + value + " in " + array);
    }
}
