package io.chorus.driver.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.worker.fs.Json;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.SnapshotStore;

/**
 * Chorus on a real multi-process Spark standalone cluster: a Master and two one-core Workers on
 * 127.0.0.1 started from the build's own Spark jars, and {@code chorus train} submitted as the
 * application jar through SparkSubmit. While both members train, the executor JVM of member 0 is killed
 * with SIGKILL once member 0 has committed a snapshot. The job must still succeed, member 0 must have
 * resumed from that snapshot (not from the start), no snapshot may be lost or listed twice, and both
 * members' final parameters must equal, bit for bit, those of the same job trained without Spark in this
 * JVM (one thread per member makes training deterministic wherever it runs).
 */
class StandaloneClusterIT {
    static final String JOB = "members: 2\nseed: 11\ndata:\n  dir: /usr/share/datasets/fashion-mnist\n  limit: 12000\n"
            + "  validation: 2000\nmodel:\n  batchnorm: true\n  dropout: 0.25\ntrain:\n  epochs: 4\n  batch: 50\n"
            + "  lr: 0.02\nsnapshots:\n  every: 1\nevaluate:\n  enabled: false\nreport:\n  enabled: false\n";

    static Path work;
    static StandaloneCluster cluster;
    static File run;
    static Process driver;
    static int driverExit;
    static long killedPid;
    static Instant killedAt;
    static long snapshotIterationAtKill;
    static Instant lastSnapshotCommitted;
    static final long KILL_DELAY_MILLIS = 2500;

    @BeforeAll
    static void submitAndKillAnExecutor() throws Exception {
        Path root = Path.of(System.getProperty("chorus.root", "..")).toAbsolutePath().normalize();
        Path jar = Path.of(System.getProperty("chorus.jar", "target/chorus.jar")).toAbsolutePath();
        assertTrue(Files.exists(jar), "the application jar " + jar + " is built by mvn package");
        work = Files.createDirectories(Path.of("target", "cluster-it").toAbsolutePath());
        Path home = SparkDistribution.create(root, Path.of("target", "spark-home").toAbsolutePath());
        cluster = StandaloneCluster.start(home, work.resolve("logs"), 2, 1, "2g");

        Path job = work.resolve("job.yaml");
        Files.writeString(job, JOB);
        run = work.resolve("run").toFile();
        List<String> conf = new ArrayList<>(StandaloneCluster.executorConf());
        // Each Worker offers one (fake) GPU; each member asks for one, so each executor gets its Worker's.
        driver = cluster.submit("driver", jar, conf, List.of("train", job.toString(), "--run-dir", run.getAbsolutePath(),
                "--overwrite", "--set", "train.gpus_per_member=1"));

        File member0 = new File(run, "members/member-000/member.json");
        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        Instant firstSnapshotSeen = null;
        while (killedAt == null && System.nanoTime() < deadline && driver.isAlive()) {
            Thread.sleep(100);
            JsonNode m = readQuietly(member0);
            if (m == null || !m.path("status").asText().equals("running") || m.path("snapshots").isEmpty()) {
                continue;
            }
            if (firstSnapshotSeen == null) {
                firstSnapshotSeen = Instant.now();
            }
            // Kill mid-interval, about half an epoch after the first snapshot, so some training is lost.
            if (Duration.between(firstSnapshotSeen, Instant.now()).toMillis() < KILL_DELAY_MILLIS) {
                continue;
            }
            JsonNode attempts = m.path("attempt_log");
            killedPid = attempts.get(attempts.size() - 1).path("pid").asLong();
            JsonNode last = m.path("snapshots").get(m.path("snapshots").size() - 1);
            snapshotIterationAtKill = last.path("iteration").asLong();
            lastSnapshotCommitted = Files.getLastModifiedTime(
                    new File(run, "members/member-000/" + last.path("path").asText()).toPath()).toInstant();
            ProcessHandle executor = ProcessHandle.of(killedPid).orElseThrow(
                    () -> new AssertionError("member 0's executor pid " + killedPid + " is not running"));
            executor.destroyForcibly(); // SIGKILL
            killedAt = Instant.now();
        }
        assertTrue(killedAt != null, "member 0 never committed a snapshot while running; see " + work.resolve("logs"));
        assertTrue(driver.waitFor(6, TimeUnit.MINUTES), "the job did not end; see " + cluster.log("driver"));
        driverExit = driver.exitValue();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static JsonNode readQuietly(File f) {
        try {
            return f.exists() ? Json.MAPPER.readTree(f) : null;
        } catch (IOException partial) {
            return null;
        }
    }

    private static String driverLog() throws IOException {
        return Files.readString(cluster.log("driver"));
    }

    @Test
    void theJobSucceedsAndEachMemberStartedInItsOwnExecutorJvm() throws IOException {
        assertEquals(0, driverExit, driverLog());
        JsonNode r = Json.MAPPER.readTree(new File(run, "run.json"));
        assertEquals("succeeded", r.path("status").asText());
        assertEquals(cluster.masterUrl(), r.path("spark").path("master").asText());
        JsonNode a0 = r.path("members").get(0).path("attempts").get(0);
        JsonNode a1 = r.path("members").get(1).path("attempts").get(0);
        assertNotEquals(a0.path("executor").asText(), a1.path("executor").asText(), r.path("members").toString());
        assertNotEquals(a0.path("pid").asLong(), a1.path("pid").asLong());
        assertNotEquals("driver", a0.path("executor").asText());
        assertNotEquals(ProcessHandle.current().pid(), a0.path("pid").asLong());
        assertTrue(r.path("spark").path("executors_used").size() >= 2, r.path("spark").toString());
        // The GPU Spark assigned each member's task is recorded; concurrent members got different ones.
        assertEquals(1, a0.path("gpus").size(), a0.toString());
        assertEquals(1, a1.path("gpus").size(), a1.toString());
        assertNotEquals(a0.path("gpus").get(0).asText(), a1.path("gpus").get(0).asText());
    }

    @Test
    void theKilledMemberResumedFromItsLastSnapshotAndLostNoSnapshot() throws IOException {
        JsonNode m = Json.MAPPER.readTree(new File(run, "members/member-000/member.json"));
        assertEquals("finished", m.path("status").asText());
        JsonNode attempts = m.path("attempt_log");
        assertEquals(2, attempts.size(), attempts.toString());
        assertEquals(killedPid, attempts.get(0).path("pid").asLong());
        assertEquals("crashed", attempts.get(0).path("outcome").asText());
        assertNotEquals(killedPid, attempts.get(1).path("pid").asLong(), "the retry ran in a new executor JVM");
        long resumedAt = attempts.get(1).path("resumed_at").asLong();
        assertTrue(resumedAt >= snapshotIterationAtKill && resumedAt > 0,
                "resumed at " + resumedAt + ", last snapshot before the kill at " + snapshotIterationAtKill);

        Set<Long> iterations = new HashSet<>();
        List<Long> order = new ArrayList<>();
        for (JsonNode s : m.path("snapshots")) {
            assertTrue(iterations.add(s.path("iteration").asLong()), "snapshot listed twice: " + s);
            order.add(s.path("iteration").asLong());
        }
        assertEquals(List.of(200L, 400L, 600L, 800L), order, "one snapshot per epoch of 200 updates");
        File[] zips = new File(run, "members/member-000/snapshots").listFiles((d, n) -> n.endsWith(".zip"));
        assertTrue(zips.length >= 4, "committed snapshot files: " + zips.length);

        Instant again = Instant.parse(attempts.get(1).path("started").asText());
        double recovery = Duration.between(killedAt, again).toMillis() / 1000.0;
        double lost = Duration.between(lastSnapshotCommitted, killedAt).toMillis() / 1000.0;
        double interval = m.path("epochs").get(0).path("seconds").asDouble() + m.path("epochs").get(0).path("eval_seconds").asDouble();
        assertTrue(lost < interval + 1, "lost " + lost + " s of training, more than a snapshot interval of " + interval + " s");
        String line = String.format(Locale.ROOT, "executor killed -> member 0 training again: %.1f s; training lost: "
                + "%.1f s (kill time minus the last snapshot's commit), snapshot interval %.1f s (one epoch with its "
                + "validation)", recovery, lost, interval);
        System.out.println("chorus-measure: " + line);
        Files.writeString(work.resolve("executor-kill.txt"), line + "\n");
    }

    @Test
    void finalParametersEqualThoseOfAnUninterruptedRunBitForBit() throws IOException {
        File reference = work.resolve("reference").toFile();
        Path job = work.resolve("job.yaml");
        CliRun in = CliRun.of("train", job.toString(), "--run-dir", reference.getAbsolutePath(), "--master",
                "in-process", "--overwrite");
        assertEquals(ExitCode.SUCCESS, in.code(), in.err());
        for (int member = 0; member < 2; member++) {
            float[] cluster = finalParameters(run, member);
            float[] alone = finalParameters(reference, member);
            assertArrayEquals(alone, cluster, "member " + member + ": cluster run against the in-process run");
        }
    }

    /**
     * Speculative execution: with a duration threshold of 2 s, Spark launches a second attempt of the single
     * member task on the other Worker while the first still trains, both writing into one member directory.
     * The newer attempt fences the older one off at its next commit; the older one then waits for the
     * member's end instead of failing. The job must succeed with one consistent list of snapshots, each
     * verifying, one per epoch, and final parameters equal to the member trained alone.
     */
    @Test
    void aSpeculativeSecondAttemptLeavesOneConsistentTrajectory() throws Exception {
        Path job = work.resolve("speculation.yaml");
        Files.writeString(job, JOB.replace("members: 2", "members: 1"));
        File speculated = work.resolve("speculated").toFile();
        List<String> conf = new ArrayList<>(StandaloneCluster.executorConf());
        conf.addAll(List.of("spark.speculation=true", "spark.speculation.interval=100ms",
                "spark.speculation.task.duration.threshold=2s"));
        Process p = cluster.submit("speculation-driver", Path.of(System.getProperty("chorus.jar", "target/chorus.jar"))
                .toAbsolutePath(), conf, List.of("train", job.toString(), "--run-dir", speculated.getAbsolutePath(),
                "--overwrite"));
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the speculated job did not end; see " + cluster.log("speculation-driver"));
        assertEquals(0, p.exitValue(), Files.readString(cluster.log("speculation-driver")));
        assertTrue(Files.readString(cluster.log("speculation-driver")).contains("speculative"),
                "Spark launched a speculative attempt");

        JsonNode m = Json.MAPPER.readTree(new File(speculated, "members/member-000/member.json"));
        assertEquals("finished", m.path("status").asText());
        assertTrue(m.path("attempt_log").size() >= 2, "two attempts: " + m.path("attempt_log"));
        FileSystem fs = FileSystem.getLocal(new Configuration()).getRaw();
        SnapshotStore store = new SnapshotStore(fs, new org.apache.hadoop.fs.Path(
                new File(speculated, "members/member-000").getAbsolutePath()));
        List<Long> order = new ArrayList<>();
        for (io.chorus.worker.train.SnapshotRecord s : store.readManifest().orElseThrow().getSnapshots()) {
            assertTrue(store.verify(s), "listed snapshot fails its checksum: " + s.path());
            order.add(s.iteration());
        }
        assertEquals(List.of(200L, 400L, 600L, 800L), order, "one snapshot per epoch, none twice");

        File alone = work.resolve("speculation-reference").toFile();
        CliRun ref = CliRun.of("train", job.toString(), "--run-dir", alone.getAbsolutePath(), "--master", "in-process",
                "--overwrite");
        assertEquals(ExitCode.SUCCESS, ref.code(), ref.err());
        assertArrayEquals(finalParameters(alone, 0), finalParameters(speculated, 0));
    }

    private static float[] finalParameters(File runDir, int member) throws IOException {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(
                new File(runDir, String.format(Locale.ROOT, "members/member-%03d", member)).getAbsolutePath());
        FileSystem fs = FileSystem.getLocal(new Configuration()).getRaw();
        SnapshotStore store = new SnapshotStore(fs, dir);
        MemberManifest m = store.readManifest().orElseThrow();
        return store.load(m.lastSnapshot().orElseThrow(), false).params().toFloatVector();
    }
}
