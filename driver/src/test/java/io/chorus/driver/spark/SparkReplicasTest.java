package io.chorus.driver.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import com.fasterxml.jackson.databind.JsonNode;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.driver.run.MemberTask;
import io.chorus.worker.fs.Json;
import io.chorus.worker.train.Attempt;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.SnapshotRecord;
import io.chorus.worker.train.SnapshotStore;

/**
 * A data-parallel member (train.replicas 2) on real Spark in local[2]: one LeNet on 1,600 images, 32 batches
 * per epoch, averaging every 4 batches, so 4 rounds and 16 iterations per epoch; a cyclic schedule of 4 cycles
 * puts a cycle end inside an epoch and one at each epoch's end.
 */
class SparkReplicasTest {
    static final String JOB = "members: 1\nseed: 5\ndata:\n  dir: /usr/share/datasets/fashion-mnist\n  limit: 2000\n"
            + "  validation: 400\nmodel:\n  dropout: 0.2\ntrain:\n  epochs: 2\n  batch: 50\n  lr: 0.02\n"
            + "  schedule: cyclic\n  cycles: 4\n  replicas: 2\n  averaging_every: 4\nsnapshots:\n  every: 1\n"
            + "evaluate:\n  enabled: false\nreport:\n  enabled: false\n";

    @TempDir
    File tmp;

    private String job() throws IOException {
        File f = new File(tmp, "job.yaml");
        Files.writeString(f.toPath(), JOB);
        return f.getAbsolutePath();
    }

    private static SnapshotStore store(File run) throws IOException {
        Path dir = new Path(new File(run, "members/member-000").getAbsolutePath());
        FileSystem fs = FileSystem.getLocal(new Configuration()).getRaw();
        return new SnapshotStore(fs, dir);
    }

    private static float[] finalParams(File run) throws IOException {
        SnapshotStore store = store(run);
        return store.load(store.readManifest().orElseThrow().lastSnapshot().orElseThrow(), false).params().toFloatVector();
    }

    @Test
    void aReplicatedMemberIsOneTrajectoryWithItsSnapshotsItsOptimizerStateAndItsResume() throws Exception {
        File run = new File(tmp, "run");
        CliRun r = CliRun.of("train", job(), "--run-dir", run.getAbsolutePath(), "--master", "local[2]");
        assertEquals(ExitCode.SUCCESS, r.code(), r.err());

        SnapshotStore store = store(run);
        MemberManifest m = store.readManifest().orElseThrow();
        assertEquals("finished", m.getStatus().configName());
        assertEquals(new io.chorus.worker.train.Replication(2, 4, 4, "ParameterAveragingTrainingMaster", "direct", true),
                m.getReplication());
        assertEquals(16, m.getIterationsPerEpoch());
        List<Long> iterations = new ArrayList<>();
        List<String> kinds = new ArrayList<>();
        for (SnapshotRecord s : m.getSnapshots()) {
            iterations.add(s.iteration());
            kinds.add(String.join("+", s.kind()));
            assertTrue(store.verify(s), "listed snapshot fails its checksum: " + s.path());
            ComputationGraph net = store.load(s, true);
            assertEquals(s.iteration(), net.getIterationCount(), "the snapshot's network is at its iteration");
            INDArray state = net.getUpdater().getStateViewArray();
            assertTrue(state != null && state.amaxNumber().doubleValue() > 0,
                    "the averaged momentum survives into " + s.path());
        }
        assertEquals(List.of(8L, 16L, 24L, 32L), iterations);
        assertEquals(List.of("cycle", "epoch+cycle", "cycle", "epoch+cycle+final"), kinds);
        assertTrue(m.getEpochs().get(1).valAccuracy() > 0.6, "the member learns: " + m.getEpochs());
        assertEquals(2 * 1600, m.getImagesSeen());

        JsonNode runJson = Json.MAPPER.readTree(new File(run, "run.json"));
        JsonNode member = runJson.get("members").get(0);
        assertEquals(2, member.get("replication").get("replicas").asInt());
        assertEquals(2, member.get("configuration").get("train").get("replicas").asInt(), member.toString());
        assertEquals("dl4j-onednn", member.get("attempts").get(0).get("engine").asText(), "replicas train on DL4J's path");

        // A replica's task crashes before update 20 (epoch 2, round 2) in the member's first attempt only: the round
        // fails (local mode retries no task), and the member resumes from its last snapshot, the end of epoch 1.
        File crashed = new File(tmp, "crashed");
        CliRun c = CliRun.of("train", job(), "--run-dir", crashed.getAbsolutePath(), "--master", "local[2]",
                "--conf", MemberTask.FAULTS + "=crash:member=0,iteration=20,attempt=0");
        assertEquals(ExitCode.SUCCESS, c.code(), c.err());
        MemberManifest mc = store(crashed).readManifest().orElseThrow();
        List<Attempt> log = mc.getAttemptLog();
        assertEquals(2, log.size(), log.toString());
        assertEquals(0, log.get(0).resumedAt());
        assertEquals(16, log.get(1).resumedAt(), "resumed from the epoch-1 snapshot, not from scratch");
        assertEquals(iterations, mc.getSnapshots().stream().map(SnapshotRecord::iteration).toList(), "no snapshot lost or doubled");
        // Two replicas: their sum is the same in either order, batches, dropout masks and thread counts are fixed,
        // so the resumed trajectory is the uninterrupted one, bit for bit.
        assertArrayEquals(finalParams(run), finalParams(crashed));
        assertNotEquals(0f, finalParams(run)[0]);
    }

    @Test
    void theRunningApplicationIsAskedForItsTaskSlots() throws Exception {
        try (SparkRunner runner = new SparkRunner("slots", "local[2]", java.util.Map.of("spark.ui.enabled", "false"), 1,
                tmp.getAbsolutePath(), 1, new Configuration(), new java.io.PrintStream(new java.io.ByteArrayOutputStream()))) {
            runner.checkReplicas(2);
            String m = org.junit.jupiter.api.Assertions.assertThrows(io.chorus.driver.BadInputException.class,
                    () -> runner.checkReplicas(3)).getMessage();
            assertTrue(m.startsWith("train.replicas: 3 replicas of a member train at once, but the Spark application "
                    + "(local[2]) has 2 task slot(s) of 1 core(s)"), m);
        }
    }

    @Test
    void replicasTheMasterCannotRunAtOnceAreRefusedBeforeAnythingIsWritten() throws Exception {
        File run = new File(tmp, "refused");
        CliRun r = CliRun.of("train", job(), "--run-dir", run.getAbsolutePath(), "--master", "local[1]");
        assertEquals(ExitCode.BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains("train.replicas: 2 replicas of a member train at once, but local[1] runs 1 task(s)"),
                r.err());
        assertTrue(!run.exists(), "nothing written");
    }
}
