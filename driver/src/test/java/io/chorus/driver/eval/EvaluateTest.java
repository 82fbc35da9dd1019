package io.chorus.driver.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.worker.fs.Json;

/**
 * One tiny run through real Spark (local[2]): three LeNet members with batch norm and dropout on a cyclic
 * schedule with SWA points, member 2 made to diverge, then the evaluation at the end of {@code chorus
 * train}: every model's probabilities as CSV, every ensemble's metrics, and the same numbers again from
 * the CSV files alone.
 */
class EvaluateTest {
    @TempDir
    static File tmp;
    static File run;
    static CliRun train;

    @BeforeAll
    static void trainAndEvaluate() throws IOException {
        TinyRun tiny = TinyRun.get();
        run = tiny.dir();
        train = tiny.train();
    }

    static JsonNode json(String path) throws IOException {
        return Json.MAPPER.readTree(new File(run, path));
    }

    static ProbsCsv csv(String split, String id) throws IOException {
        return ProbsCsv.read(org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration()).getRaw(),
                new org.apache.hadoop.fs.Path(new File(run, "eval/" + split + "/" + id + ".csv").getAbsolutePath()));
    }

    static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (n.get(field).asText().equals(value)) {
                return n;
            }
        }
        throw new AssertionError("no " + field + " = " + value + " in " + array);
    }

    @Test
    void theDivergedMemberIsExcludedAndTheJobSaysPartial() throws IOException {
        assertEquals(ExitCode.PARTIAL, train.code(), train.err() + train.out());
        JsonNode r = json("run.json");
        assertEquals("partial", r.get("status").asText());
        assertEquals("succeeded", r.get("evaluation").get("status").asText(), r.toString());
        JsonNode metrics = json("eval/metrics.json");
        assertEquals(1, metrics.get("excluded").size(), metrics.get("excluded").toString());
        assertTrue(metrics.get("excluded").get(0).asText().startsWith("m2: diverged"), metrics.get("excluded").toString());
        for (JsonNode m : metrics.get("models")) {
            assertTrue(m.get("member").asInt() != 2, "a diverged member's model is in the library: " + m.get("id"));
        }
        for (JsonNode e : metrics.get("ensembles")) {
            for (JsonNode id : e.get("members")) {
                assertFalse(id.asText().startsWith("m2"), e.get("name") + " uses " + id);
            }
        }
    }

    @Test
    void everyModelHasItsProbabilityFilesAndTheLibraryHoldsEveryKind() throws IOException {
        JsonNode models = json("eval/models.json").get("models");
        List<String> ids = new ArrayList<>();
        for (JsonNode m : models) {
            ids.add(m.get("id").asText());
            ProbsCsv test = csv("probs", m.get("id").asText());
            assertEquals(1000, test.labels().length, m.get("id").asText());
            assertEquals(10, test.p()[0].length);
            assertEquals(0, test.index()[0]);
            assertEquals(999, test.index()[999]);
            assertEquals(300, csv("probs-validation", m.get("id").asText()).labels().length);
        }
        for (String id : List.of("m0", "m1", "m0-s0", "m0-swa", "m1-swa", "cross-average", "heads-h0", "heads-h1")) {
            assertTrue(ids.contains(id), id + " missing from " + ids);
        }
        assertTrue(ids.stream().anyMatch(id -> id.endsWith("-mcd")), ids.toString());
        String header = Files.readAllLines(new File(run, "eval/probs/m0.csv").toPath()).get(0);
        assertEquals("index,label,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9", header);
        assertFalse(new File(run, "eval/models").list().length == 0);
        for (String name : run.list()) {
            assertFalse(name.startsWith("eval.tmp-"), "staging directory left behind: " + name);
        }
    }

    @Test
    void ensembleMetricsRecomputedByHandFromTheCsvFilesMatch() throws IOException {
        JsonNode metrics = json("eval/metrics.json");
        ProbsCsv m0 = csv("probs", "m0");
        ProbsCsv m1 = csv("probs", "m1");
        int n = m0.labels().length;
        double nll = 0;
        double brier = 0;
        int correct = 0;
        int m0Correct = 0;
        for (int i = 0; i < n; i++) {
            int y = m0.labels()[i];
            int best = 0;
            int best0 = 0;
            double[] avg = new double[10];
            for (int k = 0; k < 10; k++) {
                avg[k] = (m0.p()[i][k] + m1.p()[i][k]) / 2;
                best = avg[k] > avg[best] ? k : best;
                best0 = m0.p()[i][k] > m0.p()[i][best0] ? k : best0;
                brier += (avg[k] - (k == y ? 1 : 0)) * (avg[k] - (k == y ? 1 : 0));
            }
            nll -= Math.log(Math.max(avg[y], 1e-15));
            correct += best == y ? 1 : 0;
            m0Correct += best0 == y ? 1 : 0;
        }
        JsonNode average = find(metrics.get("ensembles"), "name", "average").get("test");
        assertEquals((double) correct / n, average.get("accuracy").asDouble(), 1e-12);
        assertEquals(nll / n, average.get("nll").asDouble(), 1e-9);
        assertEquals(brier / n, average.get("brier").asDouble(), 1e-9);
        assertEquals((double) m0Correct / n, find(metrics.get("models"), "id", "m0").get("test").get("accuracy").asDouble(), 1e-12);
        for (String name : List.of("average-weighted", "vote", "snapshot-m0", "heads", "selection")) {
            find(metrics.get("ensembles"), "name", name);
        }
        JsonNode curve = metrics.get("size_curves").get("average").get("member_order");
        assertEquals(2, curve.size());
        assertEquals(average.get("accuracy").asDouble(), curve.get(1).get("accuracy").asDouble(), 1e-12);
    }

    @Test
    void offlineRecomputationFromTheFilesAloneGivesTheSameNumbers() throws IOException {
        byte[] before = Files.readAllBytes(new File(run, "eval/metrics.json").toPath());
        Files.delete(new File(run, "eval/metrics.json").toPath());
        CliRun offline = CliRun.of("evaluate", run.getAbsolutePath(), "--offline");
        assertEquals(ExitCode.SUCCESS, offline.code(), offline.err());
        assertEquals(new String(before), Files.readString(new File(run, "eval/metrics.json").toPath()));
    }

    @Test
    void averagingParametersAcrossMembersIsShownToFail() throws IOException {
        JsonNode models = json("eval/metrics.json").get("models");
        Map<String, Double> acc = new HashMap<>();
        for (JsonNode m : models) {
            acc.put(m.get("id").asText(), m.get("test").get("accuracy").asDouble());
        }
        double worstMember = Math.min(acc.get("m0"), acc.get("m1"));
        assertTrue(acc.get("cross-average") < worstMember,
                "cross-member average " + acc.get("cross-average") + " vs members " + acc.get("m0") + ", " + acc.get("m1"));
        assertTrue(find(models, "id", "cross-average").get("note").asText().contains("permutation symmetry"));
    }

    @Test
    void badRunDirectoriesAreRefusedWithExitCode2() throws IOException {
        CliRun none = CliRun.of("evaluate", new File(tmp, "nowhere").getAbsolutePath());
        assertEquals(ExitCode.BAD_INPUT, none.code());
        assertTrue(none.err().contains("nowhere is not a Chorus run directory: it does not exist"), none.err());
        File empty = new File(tmp, "empty");
        empty.mkdirs();
        CliRun offline = CliRun.of("evaluate", empty.getAbsolutePath(), "--offline");
        assertEquals(ExitCode.BAD_INPUT, offline.code());
        assertTrue(offline.err().contains("no evaluation"), offline.err());
        CliRun retrain = CliRun.of("evaluate", run.getAbsolutePath(), "--set", "train.lr=0.5");
        assertEquals(ExitCode.BAD_INPUT, retrain.code());
        assertTrue(retrain.err().contains("may only change keys under evaluate."), retrain.err());
    }
}
