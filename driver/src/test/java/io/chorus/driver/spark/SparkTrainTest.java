package io.chorus.driver.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.chorus.driver.run.MemberTask;
import io.chorus.driver.run.TrainingData;
import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.driver.config.JobConfig;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;
import io.chorus.worker.train.MemberSpec;
import io.chorus.worker.train.PreparedData;
import io.chorus.worker.train.Scores;

/**
 * Real Spark in local[2]: two LeNet members on 2,000 Fashion-MNIST images train in parallel tasks.
 */
class SparkTrainTest {
    static final String JOB = "members: 2\nseed: 11\ndata:\n  dir: /usr/share/datasets/fashion-mnist\n  limit: 2000\n"
            + "  validation: 400\nmodel:\n  dropout: 0.2\ntrain:\n  epochs: 2\n  batch: 50\n  lr: 0.02\n"
            + "evaluate:\n  enabled: false\n";

    @TempDir
    File tmp;

    static CliRun chorus(String... args) {
        return CliRun.of(args);
    }

    private String job() throws IOException {
        File f = new File(tmp, "job.yaml");
        Files.writeString(f.toPath(), JOB);
        return f.getAbsolutePath();
    }

    static JsonNode runJson(File runDir) throws IOException {
        return Json.MAPPER.readTree(new File(runDir, "run.json"));
    }

    static float[] finalParams(File runDir, int member) throws IOException {
        JsonNode snaps = runJson(runDir).get("members").get(member).get("snapshots");
        File f = new File(runDir, snaps.get(snaps.size() - 1).get("path").asText());
        return ModelSerializer.restoreComputationGraph(f, false).params().data().asFloat();
    }

    @Test
    void twoMembersTrainInParallelTasksAndRunJsonListsTheirVerifiedSnapshots() throws Exception {
        File run = new File(tmp, "run");
        CliRun r = chorus("train", job(), "--run-dir", run.getAbsolutePath(), "--master", "local[2]");
        assertEquals(ExitCode.SUCCESS, r.code(), r.err());

        JsonNode json = runJson(run);
        assertEquals("succeeded", json.get("status").asText());
        assertEquals("local[2]", json.get("spark").get("master").asText());
        assertEquals(11, json.get("seed").asLong());
        assertEquals("3.5.9", json.get("versions").get("spark").asText());
        assertEquals(64, json.get("data").get("train_files").get(0).get("sha256").asText().length());
        assertEquals(2, json.get("members").size());
        List<long[]> windows = new ArrayList<>();
        for (int m = 0; m < 2; m++) {
            JsonNode member = json.get("members").get(m);
            assertEquals(m, member.get("id").asInt());
            assertEquals("finished", member.get("status").asText());
            assertEquals("driver", member.get("executor").asText());
            assertEquals(2, member.get("snapshots").size());
            assertEquals(2, member.get("epochs").size());
            assertEquals(2 * 1600, member.get("images_seen").asLong());
            for (JsonNode s : member.get("snapshots")) {
                Path p = new Path(new File(run, s.get("path").asText()).getAbsolutePath());
                assertEquals(s.get("sha256").asText(), HadoopFiles.sha256(HadoopFiles.fileSystem(p, new Configuration()), p));
            }
            JsonNode attempt = member.get("attempts").get(0);
            assertEquals("onednn", attempt.get("engine").asText(), "the executor trained on the oneDNN engine");
            long start = java.time.Instant.parse(attempt.get("started").asText()).toEpochMilli();
            windows.add(new long[] {start, start + (long) (member.get("train_seconds").asDouble() * 1000)});
        }
        assertTrue(windows.get(0)[0] < windows.get(1)[1] && windows.get(1)[0] < windows.get(0)[1],
                "the two members trained at the same time: " + Arrays.deepToString(windows.toArray()));

        // Loading member 1's last snapshot reproduces its recorded validation accuracy.
        JsonNode last = json.get("members").get(1).get("snapshots").get(1);
        ComputationGraph net = ModelSerializer.restoreComputationGraph(new File(run, last.get("path").asText()), false);
        JobConfig config = JobConfig.parse(JOB, "job", List.of());
        PreparedData data = PreparedData.load(config.dataSpec(), config.seed(), new Configuration());
        assertEquals(last.get("val_accuracy").asDouble(), Scores.of(net, data.validation(), data.normalization(), 200).accuracy(), 0.0);

        // Same job, same seed: bitwise equal parameters per member; members differ from each other.
        File again = new File(tmp, "again");
        assertEquals(ExitCode.SUCCESS, chorus("train", job(), "--run-dir", again.getAbsolutePath(), "--master", "local[2]").code());
        for (int m = 0; m < 2; m++) {
            assertArrayEquals(finalParams(run, m), finalParams(again, m), "member " + m);
        }
        assertNotEquals(Arrays.hashCode(finalParams(run, 0)), Arrays.hashCode(finalParams(run, 1)));

        // Members started in the reverse order give the same per-member results.
        File reversed = new File(tmp, "reversed");
        List<MemberSpec> specs = new ArrayList<>(config.memberSpecs());
        Collections.reverse(specs);
        TrainingData td = TrainingData.read(config.dataSpec().dir(), new Configuration());
        Set<Integer> seen = new HashSet<>();
        try (SparkRunner runner = new SparkRunner("reversed", "local[1]", Map.of("spark.ui.enabled", "false"), 1,
                reversed.getAbsolutePath(), config.seed(), new Configuration(), new PrintStream(new ByteArrayOutputStream()))) {
            runner.run(specs, td, o -> seen.add(o.member()));
        }
        assertEquals(Set.of(0, 1), seen);
        for (int m = 0; m < 2; m++) {
            File zip = lastSnapshotOf(new File(reversed, String.format("members/member-%03d", m)));
            assertArrayEquals(finalParams(run, m), ModelSerializer.restoreComputationGraph(zip, false).params().data().asFloat());
        }

        // --resume on a finished run retrains nothing.
        String before = Files.readString(new File(run, "members/member-001/member.json").toPath());
        CliRun resumed = chorus("train", job(), "--run-dir", run.getAbsolutePath(), "--master", "local[2]", "--resume");
        assertEquals(ExitCode.SUCCESS, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("member 0 is already finished; not retrained"), resumed.out());
        assertEquals(before, Files.readString(new File(run, "members/member-001/member.json").toPath()));
    }

    private static File lastSnapshotOf(File memberDir) throws IOException {
        JsonNode snaps = Json.MAPPER.readTree(new File(memberDir, "member.json")).get("snapshots");
        return new File(memberDir, snaps.get(snaps.size() - 1).get("path").asText());
    }

    @Test
    void aMemberThatFailsMidwayEndsThePartialRunWithThreeAndResumeFinishesOnlyIt() throws IOException {
        File run = new File(tmp, "run");
        // Member 1 crashes in its second epoch (32 updates per epoch); local mode does not retry tasks.
        CliRun r = chorus("train", job(), "--run-dir", run.getAbsolutePath(), "--master", "local[2]",
                "--conf", MemberTask.FAULTS + "=crash:member=1,iteration=45");
        assertEquals(ExitCode.PARTIAL, r.code(), r.out() + r.err());
        JsonNode json = runJson(run);
        assertEquals("partial", json.get("status").asText());
        assertEquals("finished", json.get("members").get(0).get("status").asText());
        JsonNode failed = json.get("members").get(1);
        assertEquals("failed", failed.get("status").asText());
        assertTrue(failed.get("reason").asText().contains("injected crash of member 1"), failed.toString());
        assertEquals(1, failed.get("snapshots").size(), "the end of epoch 1 was committed before the crash");
        String member0 = Files.readString(new File(run, "members/member-000/member.json").toPath());

        CliRun resumed = chorus("train", job(), "--run-dir", run.getAbsolutePath(), "--master", "local[2]", "--resume");
        assertEquals(ExitCode.SUCCESS, resumed.code(), resumed.out() + resumed.err());
        assertEquals(member0, Files.readString(new File(run, "members/member-000/member.json").toPath()),
                "the finished member was not retrained");
        JsonNode after = runJson(run).get("members").get(1);
        assertEquals("finished", after.get("status").asText());
        assertEquals(2, after.get("attempts").size());
        assertEquals(32, after.get("attempts").get(1).get("resumed_at").asLong(), "resumed from the epoch-1 snapshot");
        assertEquals(2, after.get("snapshots").size());

        // ... and it ends where an uninterrupted run ends, bit for bit.
        File clean = new File(tmp, "clean");
        assertEquals(ExitCode.SUCCESS, chorus("train", job(), "--run-dir", clean.getAbsolutePath(), "--master", "local[2]").code());
        assertArrayEquals(finalParams(clean, 1), finalParams(run, 1));
    }

    @Test
    void badInputExitsWithTwoBeforeAnySparkContextExists() throws IOException {
        String[][] cases = {
            {"train", job(), "--set", "train.lr=-1"},
            {"train", job(), "--set", "data.dir=" + new File(tmp, "nowhere").getAbsolutePath()},
            {"train", job(), "--set", "data.validation=5000"},
            {"train", job(), "--conf", "spark.ui.enabled"},
            {"train", job(), "--set", "train.gpus_per_member=1", "--master", "local[2]",
                "--run-dir", new File(tmp, "gpu-run").getAbsolutePath()},
        };
        for (String[] args : cases) {
            CliRun r = chorus(args);
            assertEquals(ExitCode.BAD_INPUT, r.code(), String.join(" ", args) + ": " + r.err());
            assertTrue(org.apache.spark.SparkContext$.MODULE$.getActive().isEmpty(), "no SparkContext for " + String.join(" ", args));
        }
        assertTrue(chorus(cases[0]).err().contains("train.lr"));
        assertTrue(chorus(cases[2]).err().contains("data.validation"));
        CliRun gpus = chorus(cases[4]);
        assertTrue(gpus.err().contains("train.gpus_per_member: 1 needs a cluster master"), gpus.err());
        assertFalse(new File(tmp, "gpu-run").exists(), "nothing written for a job that cannot get its GPUs");
    }
}
