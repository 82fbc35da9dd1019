package io.chorus.driver.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.chorus.driver.eval.ProbsCsv;
import io.chorus.driver.eval.TinyRun;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.fs.Json;

/**
 * Batch prediction scores images as the evaluation did: on the tiny evaluated run, each model's
 * probabilities equal those in eval/probs/*.csv (same networks, same normalization) to 1e-6, and each
 * ensemble's accuracy on those test images equals the one in eval/metrics.json. Not bit for bit: oneDNN's
 * convolutions may round the last bit differently for another batch size, and the evaluation used other
 * batches (most rows do match exactly).
 */
class EnsemblePredictorTest {
    static File run;
    static Path runDir;
    static FileSystem fs;
    static ImageData test;
    static JsonNode metrics;
    static final Configuration CONF = new Configuration();

    @BeforeAll
    static void evaluatedRun() throws IOException {
        run = TinyRun.get().dir();
        runDir = new Path(run.getAbsolutePath());
        fs = FileSystem.getLocal(CONF).getRaw();
        metrics = Json.MAPPER.readTree(new File(run, "eval/metrics.json"));
        test = DataFiles.loadTest("/usr/share/datasets/fashion-mnist", 10, CONF).limit(metrics.get("test_examples").asInt());
    }

    private static ProbsCsv csv(String id) throws IOException {
        return ProbsCsv.read(fs, new Path(runDir, "eval/probs/" + id + ".csv"));
    }

    @Test
    void eachModelsProbabilitiesEqualTheEvaluations() throws IOException {
        for (String combiner : List.of("average", "heads", "selection")) {
            EnsembleSpec spec = EnsembleSpec.read(fs, runDir, combiner);
            List<double[][]> members = EnsemblePredictor.memberProbabilities(spec, test, 0, test.size(), 128, CONF);
            for (int i = 0; i < spec.models().size(); i++) {
                double[][] expected = csv(spec.models().get(i).id()).p();
                for (int j = 0; j < expected.length; j++) {
                    assertArrayEquals(expected[j], members.get(i)[j], 1e-6, combiner + " " + spec.models().get(i).id() + " row " + j);
                }
            }
        }
    }

    @Test
    void eachEnsemblesAccuracyEqualsMetricsJson() throws IOException {
        for (JsonNode e : metrics.get("ensembles")) {
            String name = e.get("name").asText();
            EnsembleSpec spec = EnsembleSpec.read(fs, runDir, name);
            EnsemblePredictor.Scores s = EnsemblePredictor.score(spec, test, 0, test.size(), 200, CONF);
            int correct = 0;
            for (int j = 0; j < test.size(); j++) {
                correct += s.prediction()[j] == test.labels()[j] ? 1 : 0;
                assertTrue(s.uncertainty().mutualInformation()[j] >= 0);
            }
            assertEquals(e.get("test").get("accuracy").asDouble(), correct / (double) test.size(), 1e-12, name);
        }
    }

    @Test
    void combinersResolveToTheEvaluationsEnsembles() throws IOException {
        EnsembleSpec average = EnsembleSpec.read(fs, runDir, "average");
        assertEquals(List.of("m0", "m1"), average.models().stream().map(EnsembleSpec.Model::id).toList(),
                "the diverged member 2 is in no ensemble");
        assertArrayEquals(new double[] {0.5, 0.5}, average.weights(), 0.0);
        EnsembleSpec swa = EnsembleSpec.read(fs, runDir, "swa");
        assertEquals(List.of("m0-swa", "m1-swa"), swa.models().stream().map(EnsembleSpec.Model::id).toList());
        EnsembleSpec snapshot = EnsembleSpec.read(fs, runDir, "snapshot");
        assertEquals("snapshot-" + metrics.get("best_member").asText(), "snapshot-m" + snapshot.models().get(0).id()
                .substring(1, snapshot.models().get(0).id().indexOf('-')));
        EnsembleSpec heads = EnsembleSpec.read(fs, runDir, "heads");
        assertEquals("m0", heads.models().get(0).backbone().id(), "heads read member 0's features");
        EnsembleSpec single = EnsembleSpec.read(fs, runDir, "m1-swa");
        assertEquals(List.of("m1-swa"), single.models().stream().map(EnsembleSpec.Model::id).toList(), "one model alone");
        EnsembleSpec selection = EnsembleSpec.read(fs, runDir, "selection");
        assertEquals(1.0, java.util.Arrays.stream(selection.weights()).sum(), 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EnsembleSpec.read(fs, runDir, "bagging"));
        assertTrue(e.getMessage().contains("has no ensemble named bagging"), e.getMessage());
    }
}
