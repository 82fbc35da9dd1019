package io.chorus.driver.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.chorus.driver.run.MemberTask;
import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;
import io.chorus.worker.train.Attempt;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.MemberStatus;
import io.chorus.worker.train.SnapshotRecord;
import io.chorus.worker.train.SnapshotStore;

/**
 * What Chorus does when something goes wrong while members train, on the real training path with real
 * Spark in local mode: a task that crashes (retried or not), a run directory that fills up, and a driver
 * killed with SIGKILL and resubmitted with {@code --resume}. Every job is one to three LeNet members on
 * 2,000 Fashion-MNIST images (1,600 train, 400 validation, batches of 50: 32 updates per epoch), two
 * epochs, one snapshot per epoch, no evaluation or report. The whole class takes about 100 s on two cores.
 *
 * <p>The only hook into main code is the fault-injection setting {@value MemberTask#FAULTS}; the full disk is a
 * test-only Hadoop file system (plus one direct call of HadoopFiles.writeAtomically on it), and the driver
 * kill is a real SIGKILL of a separate JVM.
 */
class FaultToleranceTest {
    static final String DATA = "/usr/share/datasets/fashion-mnist";
    static final int UPDATES_PER_EPOCH = 32;
    /** An update in epoch 2, after the epoch-1 snapshot (iteration 32) was committed. */
    static final int CRASH_AT = 40;

    @TempDir
    File tmp;

    private String job(int members) throws IOException {
        File f = new File(tmp, "job-" + members + ".yaml");
        Files.writeString(f.toPath(), "members: " + members + "\nseed: 11\ndata:\n  dir: " + DATA + "\n  limit: 2000\n"
                + "  validation: 400\ntrain:\n  epochs: 2\n  batch: 50\n  lr: 0.02\nsnapshots:\n  every: 1\n"
                + "evaluate:\n  enabled: false\nreport:\n  enabled: false\n");
        return f.getAbsolutePath();
    }

    // ---------------------------------------------------------------------------------------------------
    // 1. A task that throws on its first attempt
    // ---------------------------------------------------------------------------------------------------

    /**
     * {@code local[2,2]} lets Spark retry a failed task once (plain {@code local[n]} never retries). Member 0
     * throws before update 40 of its first attempt only. The retry must resume from the epoch-1 snapshot
     * (iteration 32, the last one committed before the crash), not from scratch, and end with parameters
     * bitwise equal to member 0 trained without any crash; the job must succeed.
     */
    @Test
    void aTaskThatCrashesOnItsFirstAttemptIsRetriedFromItsLastSnapshotAndEndsBitwiseEqual() throws IOException {
        String job = job(2);
        File run = new File(tmp, "retried");
        CliRun r = CliRun.of("train", job, "--run-dir", run.getAbsolutePath(), "--master", "local[2,2]",
                "--conf", MemberTask.FAULTS + "=crash:member=0,iteration=" + CRASH_AT + ",attempt=0", "--conf", "spark.ui.enabled=false");
        assertEquals(ExitCode.SUCCESS, r.code(), r.out() + r.err());
        assertEquals("succeeded", runJson(run).get("status").asText());

        MemberManifest m0 = manifest(run, 0);
        assertEquals(MemberStatus.FINISHED, m0.getStatus());
        assertEquals(2, m0.getAttempts(), "member 0 ran twice: " + m0.getAttemptLog());
        List<Attempt> log = m0.getAttemptLog();
        assertEquals(2, log.size(), log.toString());
        // The first attempt never reported back (it threw); the second one found it still "running" and
        // marked it crashed.
        assertEquals("crashed", log.get(0).outcome(), log.toString());
        assertEquals(0, log.get(0).resumedAt());
        assertEquals("finished", log.get(1).outcome(), log.toString());
        // The retry resumed where the last snapshot before the crash left off: the end of epoch 1.
        assertEquals(UPDATES_PER_EPOCH, log.get(1).resumedAt(), "resumed from the epoch-1 snapshot, not from scratch");
        assertEquals(m0.getSnapshots().get(0).iteration(), log.get(1).resumedAt());
        assertEquals(List.of(32L, 64L), iterations(m0), "one snapshot per epoch, none lost or listed twice");
        assertAllVerify(run, 0, m0);
        // run.json carries the same attempt history.
        JsonNode attempts = runJson(run).get("members").get(0).get("attempts");
        assertEquals(2, attempts.size(), attempts.toString());
        assertEquals(UPDATES_PER_EPOCH, attempts.get(1).get("resumed_at").asLong());

        MemberManifest m1 = manifest(run, 1);
        assertEquals(MemberStatus.FINISHED, m1.getStatus());
        assertEquals(1, m1.getAttempts(), "the fault was member 0's only");

        // The reference: member 0 trained without any fault. Member seeds do not depend on the member count,
        // so a one-member job in this JVM (no Spark, the cheapest uninterrupted run) trains exactly member 0.
        File clean = new File(tmp, "clean");
        CliRun c = CliRun.of("train", job, "--run-dir", clean.getAbsolutePath(), "--master", "in-process", "--set", "members=1");
        assertEquals(ExitCode.SUCCESS, c.code(), c.out() + c.err());
        assertEquals(m0.getSeed(), manifest(clean, 0).getSeed(), "the reference is member 0 of the same job");
        assertEquals(1, manifest(clean, 0).getAttempts());
        float[] reference = finalParams(clean, 0);
        assertArrayEquals(reference, finalParams(run, 0), "the retried member ends bitwise equal to the uninterrupted one");
        assertNotEquals(Arrays.hashCode(reference), Arrays.hashCode(finalParams(run, 1)), "members differ from each other");
    }

    /**
     * The same fault under plain {@code local[2]}: Spark does not retry, so member 0 fails (its epoch-1
     * snapshot stays committed), member 1 finishes, and the job ends partial: exit code 3, run.json "partial".
     */
    @Test
    void withoutRetriesTheSameCrashFailsTheMemberAndTheJobEndsPartial() throws IOException {
        File run = new File(tmp, "no-retry");
        CliRun r = CliRun.of("train", job(2), "--run-dir", run.getAbsolutePath(), "--master", "local[2]",
                "--conf", MemberTask.FAULTS + "=crash:member=0,iteration=" + CRASH_AT + ",attempt=0", "--conf", "spark.ui.enabled=false");
        assertEquals(ExitCode.PARTIAL, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("member 0 failed (InjectedFault: injected crash of member 0 before update " + CRASH_AT),
                r.out());
        JsonNode json = runJson(run);
        assertEquals("partial", json.get("status").asText());
        JsonNode failed = json.get("members").get(0);
        assertEquals("failed", failed.get("status").asText());
        assertTrue(failed.get("reason").asText().contains("injected crash of member 0"), failed.toString());
        assertEquals("finished", json.get("members").get(1).get("status").asText());

        MemberManifest m0 = manifest(run, 0);
        assertEquals(MemberStatus.FAILED, m0.getStatus());
        assertEquals(1, m0.getAttempts(), "no second attempt: plain local mode never retries a task");
        assertEquals("failed", m0.getAttemptLog().get(0).outcome());
        assertEquals(List.of(32L), iterations(m0), "the epoch-1 snapshot committed before the crash is still listed");
        assertAllVerify(run, 0, m0);

        // With min_members 2 the same outcome is a failed job: exit 1, no evaluation.
        File strict = new File(tmp, "strict");
        CliRun s = CliRun.of("train", job(2), "--run-dir", strict.getAbsolutePath(), "--master", "local[2]",
                "--set", "min_members=2", "--set", "evaluate.enabled=true",
                "--conf", MemberTask.FAULTS + "=crash:member=0,iteration=" + CRASH_AT + ",attempt=0", "--conf", "spark.ui.enabled=false");
        assertEquals(ExitCode.FAILURE, s.code(), s.out() + s.err());
        assertEquals("failed", runJson(strict).get("status").asText());
        assertEquals("skipped", runJson(strict).get("evaluation").get("status").asText());
    }

    // ---------------------------------------------------------------------------------------------------
    // 2. The run directory fills up
    // ---------------------------------------------------------------------------------------------------

    /**
     * The run directory lives on {@code fulldisk:///...}, a local file system that can be made to run out
     * of space. Once member 0 has committed its epoch-1 snapshot, only {@link #SPACE_LEFT} more bytes fit:
     * the next snapshot zip is cut off mid-write with "No space left on device", and every later create
     * fails the same way. No member can finish after that, so the job must fail (exit code 1, not 0 and not
     * 3), name the cause, return rather than hang, never record success, and leave every snapshot that a
     * member.json lists present and matching its SHA-256, with no half-written file listed or left in the
     * snapshot directories. With the space back, {@code --resume} must finish the run from those snapshots.
     *
     * <p>How the scheme is registered: Chorus's driver builds its Hadoop configuration with
     * {@code new Configuration()} (Chorus.run), which reads only core-default.xml/core-site.xml from the
     * classpath; the executors get that same object by broadcast (SerializableHadoopConf), not Spark's
     * hadoopConfiguration, so {@code spark.hadoop.*} settings never reach the run directory's file system.
     * The test therefore creates the file system once with {@code fs.fulldisk.impl} set, which puts it in
     * Hadoop's FileSystem cache (keyed by scheme, authority and user, not by configuration): every
     * {@code Path.getFileSystem(conf)} on fulldisk:/// in this JVM, driver and local executor alike, then
     * gets that instance. {@code spark.hadoop.fs.fulldisk.impl} is passed as well, for Spark's own use.
     */
    @Test
    void aRunDirectoryThatFillsUpFailsTheJobAndCorruptsNothing() throws Exception {
        String job = job(2);
        File run = new File(tmp, "full");
        URI root = URI.create(FullDiskFileSystem.SCHEME + ":///");
        Configuration withScheme = new Configuration();
        withScheme.set("fs." + FullDiskFileSystem.SCHEME + ".impl", FullDiskFileSystem.class.getName());
        FileSystem disk = FileSystem.get(root, withScheme);
        assertTrue(disk instanceof FullDiskFileSystem, disk.getClass().getName());
        assertTrue(new Path(root.toString() + run.getAbsolutePath()).getFileSystem(new Configuration()) == disk,
                "a plain new Configuration() (what Chorus uses) resolves fulldisk:/// to the cached instance");

        // Watches member 0's manifest on disk (java.io, not through Chorus) and fills the disk as soon as it
        // lists one snapshot; remembers what it listed at that moment.
        AtomicReference<List<SnapshotRecord>> listedAtFull = new AtomicReference<>();
        Thread watcher = new Thread(() -> {
            File m0 = new File(run, "members/member-000/member.json");
            while (!Thread.currentThread().isInterrupted()) {
                MemberManifest m = readQuietly(m0);
                if (m != null && !m.getSnapshots().isEmpty()) {
                    FullDiskFileSystem.fillAfter(SPACE_LEFT);
                    listedAtFull.set(List.copyOf(m.getSnapshots()));
                    return;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "disk-filler");
        watcher.setDaemon(true);
        CliRun r;
        long t0 = System.nanoTime();
        try {
            watcher.start();
            // A hang here would be a bug too: two members of two epochs take about 15 s on two cores.
            r = assertTimeoutPreemptively(Duration.ofMinutes(3), () -> CliRun.of("train", job, "--run-dir",
                    root + run.getAbsolutePath(), "--master", "local[2]", "--conf", "spark.ui.enabled=false",
                    "--conf", "spark.hadoop.fs." + FullDiskFileSystem.SCHEME + ".impl=" + FullDiskFileSystem.class.getName()));
        } finally {
            watcher.interrupt();
            watcher.join(5000);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        try {
            assertNotNull(listedAtFull.get(), "member 0 committed a snapshot and the disk was filled: " + r.out() + r.err());
            assertTrue(FullDiskFileSystem.REFUSED.get() > 0, "some write hit the full disk");
            // Training threads of a failed job may outlive the SparkContext in local mode; they stop at their
            // next write on the full disk. Wait for them so nothing writes into the run directory while it is checked.
            List<String> trainingAtReturn = trainingThreads();
            double lingered = awaitNoTrainingThreads();
            System.out.printf(Locale.ROOT, "FaultToleranceTest: full disk: exit %s after %.1f s (\"%s\"); run.json status %s; "
                    + "training threads at return %s, gone %.1f s later; refused writes %d; temporaries left %s%n", r.code(),
                    seconds, r.err().lines().findFirst().orElse(""), runJson(run).get("status").asText(), trainingAtReturn,
                    lingered, FullDiskFileSystem.REFUSED.get(), temporaries(run));

            // The verdict: no member could finish, so the job failed, and the message says why.
            assertEquals(ExitCode.FAILURE, r.code(), "exit code after " + seconds + " s\n" + r.out() + r.err());
            assertTrue(r.err().contains("No space left on device"), r.err());
            JsonNode json = runJson(run); // run.json is written atomically: whatever it holds parses
            assertNotEquals("succeeded", json.get("status").asText());
            assertTrue(List.of("running", "failed").contains(json.get("status").asText()), json.get("status").toString());

            for (int m = 0; m < 2; m++) {
                MemberManifest mm = manifest(run, m); // never half-written: it parses
                assertNotEquals(MemberStatus.FINISHED, mm.getStatus(), "member " + m + " cannot have finished");
                assertAllVerify(run, m, mm);
                assertNoStrayFiles(run, m, mm);
            }
            // What member 0 had committed when the disk filled is still listed (and verified above).
            List<String> listed = manifest(run, 0).getSnapshots().stream().map(SnapshotRecord::path).toList();
            for (SnapshotRecord s : listedAtFull.get()) {
                assertTrue(listed.contains(s.path()), s.path() + " was committed before the disk filled; still listed: " + listed);
            }
        } finally {
            FullDiskFileSystem.fillAfter(FullDiskFileSystem.UNLIMITED);
            disk.close(); // also drops it from Hadoop's FileSystem cache
        }

        // Space is back: the run continues from what was committed and finishes.
        CliRun resumed = CliRun.of("train", job, "--run-dir", run.getAbsolutePath(), "--master", "local[2]", "--resume",
                "--conf", "spark.ui.enabled=false");
        assertEquals(ExitCode.SUCCESS, resumed.code(), resumed.out() + resumed.err());
        assertEquals("succeeded", runJson(run).get("status").asText());
        MemberManifest m0 = manifest(run, 0);
        assertEquals(List.of(32L, 64L), iterations(m0));
        assertEquals(UPDATES_PER_EPOCH, m0.getAttemptLog().get(m0.getAttemptLog().size() - 1).resumedAt(),
                "member 0 resumed from the snapshot it committed before the disk filled");
        assertAllVerify(run, 0, m0);
    }

    /**
     * The write under every manifest (member.json, run.json, progress.json: HadoopFiles.writeAtomically), on a
     * disk that fills up in the middle of it. The previous file must stay exactly as it was (it does), and the
     * half-written temporary beside it must be removed, as SnapshotStore.commit removes its own temporary
     * when a snapshot write fails. It is not: writeAtomically deletes its temporary only when the rename
     * fails, so a write cut off by ENOSPC leaves {@code .member.json.tmp-UUID} behind (nobody reads it, but
     * on a full disk it holds on to the space).
     */
    @Test
    void aManifestWriteThatRunsOutOfSpaceKeepsThePreviousFileAndLeavesNoHalfWrittenTemporary() throws IOException {
        File dir = new File(tmp, "atomic");
        assertTrue(dir.mkdirs());
        URI root = URI.create(FullDiskFileSystem.SCHEME + ":///");
        Configuration withScheme = new Configuration();
        withScheme.set("fs." + FullDiskFileSystem.SCHEME + ".impl", FullDiskFileSystem.class.getName());
        FileSystem disk = FileSystem.get(root, withScheme);
        Path target = new Path(root + new File(dir, "member.json").getAbsolutePath());
        try {
            HadoopFiles.writeAtomically(disk, target, "{\"previous\":true}".getBytes(StandardCharsets.UTF_8));
            FullDiskFileSystem.fillAfter(100);
            IOException e = assertThrows(IOException.class, () -> HadoopFiles.writeAtomically(disk, target, new byte[8192]));
            assertEquals("No space left on device", e.getMessage());
        } finally {
            FullDiskFileSystem.fillAfter(FullDiskFileSystem.UNLIMITED);
            disk.close();
        }
        assertEquals("{\"previous\":true}", Files.readString(new File(dir, "member.json").toPath()), "the previous file is intact");
        assertEquals(List.of("member.json"), Arrays.stream(dir.list()).sorted().toList(), "no half-written temporary left beside it");
    }

    /** Bytes that still fit once the disk "fills": far less than one snapshot zip (several MB). */
    static final long SPACE_LEFT = 64 * 1024;

    /**
     * A local file system under the {@value #SCHEME} scheme with a switchable amount of free space. While it
     * is unlimited it is the raw local file system. Once limited, writes use up the space; the write that
     * does not fit writes what fits and throws {@code IOException("No space left on device")}, as write(2)
     * fails with ENOSPC, and from then on every create or append fails the same way. Reads, renames and
     * deletes still work, as on a real full disk. Static state: Spark's local executor is this JVM.
     */
    public static final class FullDiskFileSystem extends RawLocalFileSystem {
        static final String SCHEME = "fulldisk";
        static final long UNLIMITED = Long.MAX_VALUE;
        static final AtomicLong FREE = new AtomicLong(UNLIMITED);
        /** Writes and creates refused for lack of space. */
        static final AtomicInteger REFUSED = new AtomicInteger();

        static void fillAfter(long bytes) {
            FREE.set(bytes);
        }

        @Override
        public String getScheme() {
            return SCHEME;
        }

        @Override
        public URI getUri() {
            return URI.create(SCHEME + ":///");
        }

        /** Every create, createNonRecursive and append of RawLocalFileSystem opens its stream here. */
        @Override
        protected OutputStream createOutputStreamWithMode(Path f, boolean append, FsPermission permission) throws IOException {
            if (FREE.get() == 0) {
                throw full(f);
            }
            OutputStream file = super.createOutputStreamWithMode(f, append, permission);
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    long before = FREE.getAndUpdate(free -> free == UNLIMITED ? free : Math.max(0, free - len));
                    int fits = (int) Math.min(len, before);
                    if (fits > 0) {
                        file.write(b, off, fits);
                    }
                    if (fits < len) {
                        throw full(f);
                    }
                }

                @Override
                public void flush() throws IOException {
                    file.flush();
                }

                @Override
                public void close() throws IOException {
                    file.close();
                }
            };
        }

        private static IOException full(Path f) {
            REFUSED.incrementAndGet();
            return new IOException("No space left on device");
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // 3. The driver is killed; the job is resubmitted with --resume
    // ---------------------------------------------------------------------------------------------------

    /**
     * Three members on local[2]: members 0 and 1 train first, member 2 once a slot frees. The driver runs
     * as a separate JVM, started as {@code java -cp <this test JVM's classpath> io.chorus.driver.Chorus
     * train ...} with the Java 17 module options Spark needs (the same list as StandaloneCluster's): the
     * application jar chorus.jar is built in the package phase, after surefire's tests, so a surefire test
     * cannot count on it. In local mode the executor is the driver JVM, so SIGKILL of that JVM stops member 2
     * mid-training. Resubmitted with {@code --resume} (in this JVM), the job must succeed without touching
     * members 0 and 1 (member.json byte for byte, same snapshot files, one attempt each) and must finish
     * member 2, resuming it from its last committed snapshot if it had one.
     */
    @Test
    void aDriverKilledAfterTwoMembersFinishedIsResumedAndRetrainsOnlyTheThird() throws Exception {
        String job = job(3);
        File run = new File(tmp, "killed");
        File log = new File(tmp, "driver.log");
        List<String> cmd = new ArrayList<>(List.of(new File(System.getProperty("java.home"), "bin/java").getPath(), "-Xmx2g"));
        cmd.addAll(io.chorus.driver.cluster.StandaloneCluster.MODULE_OPTIONS);
        String javacpp = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (javacpp != null) {
            cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + javacpp);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.chorus.driver.Chorus", "train", job,
                "--run-dir", run.getAbsolutePath(), "--master", "local[2]", "--conf", "spark.ui.enabled=false"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process driver = pb.start();
        File[] manifests = {memberJson(run, 0), memberJson(run, 1), memberJson(run, 2)};
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!(finished(manifests[0]) && finished(manifests[1]))) {
                if (!driver.isAlive()) {
                    fail("the driver exited with " + driver.exitValue() + " before members 0 and 1 finished:\n" + tail(log));
                }
                if (System.nanoTime() > deadline) {
                    fail("members 0 and 1 did not finish within 3 minutes:\n" + tail(log));
                }
                Thread.sleep(50);
            }
            assertFalse(finished(manifests[2]), "member 2 still trains when the driver is killed");
        } finally {
            sigkill(driver);
        }
        assertEquals(137, driver.exitValue(), "killed by SIGKILL (128 + 9)");

        // The state the killed driver left: members 0 and 1 finished, member 2 not, run.json still "running".
        MemberManifest m2AtKill = readQuietly(manifests[2]);
        assertTrue(m2AtKill == null || m2AtKill.getStatus() == MemberStatus.RUNNING, String.valueOf(m2AtKill));
        assertEquals("running", runJson(run).get("status").asText(), "the killed driver never wrote a verdict");
        byte[][] before = {Files.readAllBytes(manifests[0].toPath()), Files.readAllBytes(manifests[1].toPath())};
        Map<String, String> filesBefore = fileHashes(new File(run, "members/member-000"), new File(run, "members/member-001"));

        CliRun r = CliRun.of("train", job, "--run-dir", run.getAbsolutePath(), "--master", "local[2]", "--resume",
                "--conf", "spark.ui.enabled=false");
        assertEquals(ExitCode.SUCCESS, r.code(), r.out() + r.err() + "\nkilled driver's log:\n" + tail(log));
        assertTrue(r.out().contains("member 0 is already finished; not retrained"), r.out());
        assertTrue(r.out().contains("member 1 is already finished; not retrained"), r.out());

        // Members 0 and 1 were not retrained: their manifests are byte-identical and their snapshot files
        // (and everything else in their directories but the progress file) unchanged.
        assertArrayEquals(before[0], Files.readAllBytes(manifests[0].toPath()), "member 0's member.json untouched");
        assertArrayEquals(before[1], Files.readAllBytes(manifests[1].toPath()), "member 1's member.json untouched");
        assertEquals(filesBefore, fileHashes(new File(run, "members/member-000"), new File(run, "members/member-001")));
        for (int m = 0; m < 2; m++) {
            MemberManifest mm = manifest(run, m);
            assertEquals(1, mm.getAttempts(), "member " + m + " trained once");
            assertEquals(List.of(32L, 64L), iterations(mm));
            assertAllVerify(run, m, mm);
        }

        // Member 2 finished; if the killed driver had started it, this is its second attempt and it resumed
        // from its last committed snapshot (0 if it had none).
        MemberManifest m2 = manifest(run, 2);
        assertEquals(MemberStatus.FINISHED, m2.getStatus());
        assertEquals(List.of(32L, 64L), iterations(m2));
        assertAllVerify(run, 2, m2);
        List<Attempt> attempts = m2.getAttemptLog();
        if (m2AtKill == null) {
            assertEquals(1, attempts.size(), attempts.toString());
            assertEquals(0, attempts.get(0).resumedAt());
        } else {
            assertEquals(m2AtKill.getAttempts() + 1, attempts.size(), attempts.toString());
            assertEquals("crashed", attempts.get(attempts.size() - 2).outcome(), "the killed attempt never reported");
            long lastCommitted = m2AtKill.lastSnapshot().map(SnapshotRecord::iteration).orElse(0L);
            assertEquals(lastCommitted, attempts.get(attempts.size() - 1).resumedAt(), attempts.toString());
        }
        assertEquals("finished", attempts.get(attempts.size() - 1).outcome());

        JsonNode json = runJson(run);
        assertEquals("succeeded", json.get("status").asText());
        for (int m = 0; m < 3; m++) {
            JsonNode member = json.get("members").get(m);
            assertEquals("finished", member.get("status").asText(), member.toString());
            assertEquals(m < 2 ? 1 : attempts.size(), member.get("attempts").size(), member.toString());
        }
        System.out.printf(Locale.ROOT, "FaultToleranceTest: member 2 at the kill: %s%n", m2AtKill == null ? "not started"
                : m2AtKill.getSnapshots().size() + " snapshot(s), attempt " + m2AtKill.getAttempts());
    }

    /** SIGKILL for the process and everything it started. */
    private static void sigkill(Process p) throws InterruptedException {
        List<ProcessHandle> descendants = p.descendants().toList();
        p.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the driver JVM is gone");
    }

    // ---------------------------------------------------------------------------------------------------
    // helpers
    // ---------------------------------------------------------------------------------------------------

    static File memberJson(File run, int member) {
        return new File(run, String.format(Locale.ROOT, "members/member-%03d/%s", member, SnapshotStore.MANIFEST));
    }

    static JsonNode runJson(File run) throws IOException {
        return Json.MAPPER.readTree(new File(run, "run.json"));
    }

    static SnapshotStore store(File run, int member) throws IOException {
        Path dir = new Path(memberJson(run, member).getParentFile().getAbsolutePath());
        return new SnapshotStore(HadoopFiles.fileSystem(dir, new Configuration()), dir);
    }

    static MemberManifest manifest(File run, int member) throws IOException {
        return store(run, member).readManifest().orElseThrow(() -> new AssertionError("no member.json for member " + member));
    }

    /** The manifest as it is on disk right now, or null if there is none yet (or it cannot be read). */
    static MemberManifest readQuietly(File memberJson) {
        try {
            return memberJson.isFile() ? Json.read(Files.readAllBytes(memberJson.toPath()), MemberManifest.class,
                    memberJson.getPath()) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static boolean finished(File memberJson) {
        MemberManifest m = readQuietly(memberJson);
        return m != null && m.getStatus() == MemberStatus.FINISHED;
    }

    static List<Long> iterations(MemberManifest m) {
        return m.getSnapshots().stream().map(SnapshotRecord::iteration).toList();
    }

    /** The final parameters of a member: its last listed snapshot, loaded checksum first. */
    static float[] finalParams(File run, int member) throws IOException {
        MemberManifest m = manifest(run, member);
        SnapshotRecord last = m.lastSnapshot().orElseThrow();
        return store(run, member).load(last, false).params().toFloatVector();
    }

    /** Every snapshot the manifest lists exists, matches its SHA-256 and loads. */
    static void assertAllVerify(File run, int member, MemberManifest m) throws IOException {
        SnapshotStore store = store(run, member);
        for (SnapshotRecord s : m.getSnapshots()) {
            assertTrue(store.verify(s), "member " + member + ": " + s.path() + " is present and matches its SHA-256");
            assertNotNull(store.load(s, false));
        }
        assertTrue(m.getQuarantined().isEmpty(), "nothing was quarantined: " + m.getQuarantined());
    }

    /**
     * The snapshot directory holds exactly the listed snapshots: no half-written zip, no temporary file a
     * failed commit should have deleted, no unlisted zip.
     */
    static void assertNoStrayFiles(File run, int member, MemberManifest m) {
        File dir = new File(memberJson(run, member).getParentFile(), SnapshotStore.SNAPSHOT_DIR);
        List<String> listed = m.getSnapshots().stream().map(s -> new File(s.path()).getName()).sorted().toList();
        String[] names = dir.list();
        List<String> present = names == null ? List.of() : Arrays.stream(names).sorted().toList();
        assertEquals(listed, present, "member " + member + ": files in " + dir + " against member.json");
    }

    /** Hidden temporary files ({@code .name.tmp-UUID}) anywhere under the run directory. */
    static List<String> temporaries(File run) throws IOException {
        try (var paths = Files.walk(run.toPath())) {
            return paths.filter(p -> p.getFileName().toString().contains(".tmp-")).map(p -> run.toPath().relativize(p).toString())
                    .sorted().toList();
        }
    }

    /** SHA-256 of every file under the directories, progress.json (advisory, rewritten live) aside. */
    static Map<String, String> fileHashes(File... dirs) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (File d : dirs) {
            try (var paths = Files.walk(d.toPath())) {
                for (java.nio.file.Path p : paths.filter(Files::isRegularFile).toList()) {
                    if (!p.getFileName().toString().contains("progress.json")) {
                        out.put(p.toString(), HadoopFiles.sha256(Files.readAllBytes(p)));
                    }
                }
            }
        }
        return out;
    }

    /** Waits (up to a minute) until no thread of this JVM is training a member; returns how long it took. */
    static double awaitNoTrainingThreads() throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < deadline) {
            if (trainingThreads().isEmpty()) {
                return (System.nanoTime() - t0) / 1e9;
            }
            Thread.sleep(100);
        }
        fail("threads still training a minute after the job returned: " + trainingThreads());
        return -1;
    }

    static List<String> trainingThreads() {
        List<String> names = new ArrayList<>();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            if (Arrays.stream(stack).anyMatch(f -> f.getClassName().equals(io.chorus.worker.train.MemberTrainer.class.getName()))) {
                names.add(t.getName());
            }
        });
        return names;
    }

    static String tail(File log) {
        try {
            List<String> lines = Files.readAllLines(log.toPath(), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
