package io.chorus.driver.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.driver.run.RunLayout;
import io.chorus.worker.fs.Json;

/**
 * The run directory as a hostile but ordinary user treats it: overwriting what is not a run, a run that holds
 * the data, a file in the way, a live writer, a second process racing for the same run.
 */
class RunDirectoryHostileTest extends TrainedRunTest {
    @Test
    void overwriteOfAFolderOfSomeoneElsesFilesIsRefused() throws IOException {
        Path theirs = Files.createDirectories(tmp.resolve("theirs"));
        Files.writeString(theirs.resolve("thesis.tex"), "\\documentclass{article}");
        Files.createDirectories(theirs.resolve("figures"));
        Files.writeString(theirs.resolve("figures/plot.csv"), "1,2\n");
        Hostile.refused(new Path[] {theirs}, new String[] {theirs.toString(), "Chorus did not write", "figures", "thesis.tex"},
                "train", job.toString(), "--run-dir", theirs.toString(), "--overwrite", "--master", "in-process");
    }

    @Test
    void overwriteAimedAtTheDataDirectoryIsRefused() throws IOException {
        Path data = TinyData.idx(tmp.resolve("data"), 40);
        Hostile.refused(new Path[] {data}, new String[] {data.toString(), "not a Chorus run"},
                "train", job.toString(), "--set", "data.dir=" + data, "--set", "data.classes=3", "--set", "data.limit=0",
                "--set", "data.validation=10", "--run-dir", data.toString(), "--overwrite", "--master", "in-process");
    }

    @Test
    void overwriteOfARunThatHoldsTheJobsDataIsRefused() throws IOException {
        Path run = run();
        Path data = TinyData.idx(run.resolve(RunLayout.DATA), 40);
        Hostile.refused(new Path[] {run}, new String[] {"holds", data.toString(), "apart from the data"},
                "train", job.toString(), "--set", "data.dir=" + data, "--set", "data.classes=3", "--set", "data.limit=0",
                "--set", "data.validation=10", "--run-dir", run.toString(), "--overwrite", "--master", "in-process");
    }

    @Test
    void overwriteOfARunThatHoldsTheJobFileIsRefused() throws IOException {
        Path run = run();
        Path ownJob = run.resolve("job.yaml");
        Hostile.refused(new Path[] {run}, new String[] {"holds", ownJob.toString()},
                "train", ownJob.toString(), "--run-dir", run.toString(), "--overwrite", "--master", "in-process");
    }

    @Test
    void aRegularFileIsNotARunAndIsNotOfferedForOverwrite() throws IOException {
        Path file = Files.writeString(tmp.resolve("notes.txt"), "mine");
        CliRun r = Hostile.refused(new Path[] {file}, new String[] {file.toString(), "is a regular file"},
                "train", job.toString(), "--run-dir", file.toString(), "--master", "in-process");
        assertFalse(r.err().contains("already holds a run"), r.err());
        Hostile.refused(new Path[] {file}, new String[] {"is a regular file"},
                "train", job.toString(), "--run-dir", file.toString(), "--overwrite", "--master", "in-process");
    }

    @Test
    void aRunDirectoryUnderARegularFileIsBadInput() throws IOException {
        Path file = Files.writeString(tmp.resolve("notes.txt"), "mine");
        Hostile.refused(new Path[] {file}, new String[] {file.toString(), "is a regular file"},
                "train", job.toString(), "--run-dir", file.resolve("run").toString(), "--master", "in-process");
    }

    @Test
    void aMalformedMasterOrTooManyThreadsIsBadInputAndWritesNothing() {
        Path runDir = tmp.resolve("fresh");
        Hostile.refused(new Path[] {tmp}, new String[] {"--master spark:/oops", "not a Spark master URL"},
                "train", job.toString(), "--run-dir", runDir.toString(), "--master", "spark:/oops");
        assertFalse(Files.exists(runDir), "nothing written, so a plain rerun is not blocked");
        Hostile.refused(new Path[] {tmp}, new String[] {"train.threads", "local[1]"},
                "train", job.toString(), "--run-dir", runDir.toString(), "--master", "local[1]", "--set", "train.threads=2");
        int cores = Runtime.getRuntime().availableProcessors();
        Hostile.refused(new Path[] {tmp}, new String[] {"train.threads", "at most " + cores},
                "train", job.toString(), "--run-dir", runDir.toString(), "--master", "in-process",
                "--set", "train.threads=" + (cores + 1));
        assertFalse(Files.exists(runDir));
    }

    @Test
    void aLiveLockRefusesEveryWriterNamingItsHolder() throws IOException {
        Path run = run();
        Files.write(run.resolve(RunLayout.LOCK), Json.write(lock(ProcessHandle.current().pid(), "chorus train other")));
        Path[] watched = {run};
        Hostile.refused(watched, new String[] {"is being written by chorus train other", "pid " + ProcessHandle.current().pid()},
                "train", job.toString(), "--run-dir", run.toString(), "--resume", "--master", "in-process");
        Hostile.refused(watched, new String[] {"is being written by"},
                "train", job.toString(), "--run-dir", run.toString(), "--overwrite", "--master", "in-process");
        Hostile.refused(watched, new String[] {"is being written by"}, "report", run.toString());
        Hostile.refused(watched, new String[] {"is being written by"}, "evaluate", run.toString(), "--master", "in-process");
    }

    @Test
    void aLockWhoseProcessIsGoneIsTakenOverWithAMessage() throws Exception {
        Path run = run();
        Process done = new ProcessBuilder("true").start();
        done.waitFor();
        Files.write(run.resolve(RunLayout.LOCK), Json.write(lock(done.pid(), "chorus train crashed")));
        CliRun r = CliRun.of("train", job.toString(), "--run-dir", run.toString(), "--resume", "--master", "in-process");
        assertEquals(ExitCode.SUCCESS, r.code(), r.err());
        assertTrue(r.out().contains("taking over the lock of chorus train crashed") && r.out().contains("is gone"), r.out());
        assertFalse(Files.exists(run.resolve(RunLayout.LOCK)), "released when done");
    }

    private static io.chorus.driver.run.RunLock.Holder lock(long pid, String command) throws IOException {
        io.chorus.driver.run.RunLock.Holder h = new io.chorus.driver.run.RunLock.Holder();
        h.host = java.net.InetAddress.getLocalHost().getHostName();
        h.pid = pid;
        h.command = command;
        h.started = java.time.Instant.now().toString();
        h.token = "test";
        return h;
    }

    /**
     * Two real processes, one run directory: while one trains, another train (new, overwrite or resume) is
     * refused naming it, and the first one ends as if alone. Then a trainer killed with SIGKILL leaves its lock,
     * which the next resume takes over (its pid is gone) and finishes the run.
     */
    @Test
    void twoProcessesRacingForOneRunDirectory() throws Exception {
        Path runDir = tmp.resolve("raced");
        Path slowJob = Files.writeString(tmp.resolve("slow.yaml"), TinyData.job(TinyData.FASHION)
                .replace("limit: 300", "limit: 3000").replace("epochs: 1", "epochs: 4"));
        Process first = new ProcessBuilder(TinyData.javaCommand("train", slowJob.toString(), "--run-dir", runDir.toString(),
                "--master", "in-process")).redirectErrorStream(true).redirectOutput(tmp.resolve("first.log").toFile()).start();
        try {
            Path lock = runDir.resolve(RunLayout.LOCK);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.exists(runDir.resolve("run.json")) && first.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(Files.exists(lock) && first.isAlive(), "the first process holds the lock while it trains: "
                    + Files.readString(tmp.resolve("first.log")));
            for (String policy : new String[] {"--overwrite", "--resume"}) {
                CliRun second = CliRun.of("train", slowJob.toString(), "--run-dir", runDir.toString(), policy, "--master", "in-process");
                Hostile.assertRefused(second, "is being written by chorus train slow", "pid " + first.pid());
            }
            CliRun plain = CliRun.of("train", slowJob.toString(), "--run-dir", runDir.toString(), "--master", "in-process");
            Hostile.assertRefused(plain, runDir.toString());
            assertTrue(first.waitFor(5, TimeUnit.MINUTES), "the first process ends");
            assertEquals(0, first.exitValue(), Files.readString(tmp.resolve("first.log")));
            assertTrue(Files.readString(runDir.resolve("run.json")).contains("\"status\" : \"succeeded\""));
            assertFalse(Files.exists(lock));
        } finally {
            first.destroyForcibly();
        }

        Path killed = tmp.resolve("killed");
        Process victim = new ProcessBuilder(TinyData.javaCommand("train", slowJob.toString(), "--run-dir", killed.toString(),
                "--master", "in-process")).redirectErrorStream(true).redirectOutput(tmp.resolve("victim.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(killed.resolve("members/member-000/member.json")) && victim.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        victim.destroyForcibly().waitFor();
        assertTrue(Files.exists(killed.resolve(RunLayout.LOCK)), "SIGKILL leaves the lock behind");
        CliRun resume = CliRun.of("train", slowJob.toString(), "--run-dir", killed.toString(), "--resume", "--master", "in-process");
        assertEquals(ExitCode.SUCCESS, resume.code(), resume.err());
        assertTrue(resume.out().contains("taking over the lock of chorus train slow"), resume.out());
    }
}
