package io.chorus.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a scheduler sees it: exit codes and messages. */
class ChorusCliTest {
    @TempDir
    File tmp;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private String job(String yaml) throws IOException {
        File f = new File(tmp, "job.yaml");
        Files.writeString(f.toPath(), yaml);
        return f.getAbsolutePath();
    }

    @Test
    void badConfigurationExitsWithTwoNamingEveryKeyAndWritesNothing() throws IOException {
        String runDir = new File(tmp, "run").getAbsolutePath();
        CliRun r = run("train", job("data:\n  dir: /nowhere\nmembers: -1\ntrain:\n  optimizer: rmsprop\n"), "--run-dir", runDir);
        assertEquals(ExitCode.BAD_INPUT, r.code());
        assertTrue(r.err().contains("members: must be between 1 and 1000, got -1"), r.err());
        assertTrue(r.err().contains("train.optimizer: must be one of sgd, adam, got 'rmsprop'"), r.err());
        assertFalse(new File(runDir).exists());
    }

    @Test
    void badSetOverrideExitsWithTwo() throws IOException {
        CliRun r = run("train", job("data:\n  dir: /nowhere\n"), "--set", "train.epochs=zero");
        assertEquals(ExitCode.BAD_INPUT, r.code());
        assertTrue(r.err().contains("train.epochs: must be a whole number, got 'zero'"), r.err());
    }

    @Test
    void usageErrorsExitWithTwo() throws IOException {
        assertEquals(ExitCode.BAD_INPUT, run().code());
        assertEquals(ExitCode.BAD_INPUT, run("fly").code());
        assertEquals(ExitCode.BAD_INPUT, run("train").code());
        assertEquals(ExitCode.BAD_INPUT, run("train", "missing.yaml").code());
        CliRun both = run("train", job("data:\n  dir: /d\n"), "--resume", "--overwrite");
        assertEquals(ExitCode.BAD_INPUT, both.code());
        assertTrue(both.err().contains("--resume and --overwrite exclude each other"), both.err());
        assertEquals(ExitCode.SUCCESS, run("--help").code());
    }

    @Test
    void missingDataIsBadInputAndNamesThePlacesLookedAt() throws IOException {
        String runDir = new File(tmp, "run").getAbsolutePath();
        CliRun r = run("train", job("data:\n  dir: " + new File(tmp, "no-such-dir").getAbsolutePath() + "\n"), "--run-dir", runDir);
        assertEquals(ExitCode.BAD_INPUT, r.code());
        assertTrue(r.err().contains("no-such-dir"), r.err());
        assertFalse(new File(runDir).exists());
    }

    @Test
    void anOccupiedRunDirectoryIsRefusedWithoutResumeOrOverwriteAndKeptIntact() throws IOException {
        File runDir = new File(tmp, "run");
        File precious = new File(runDir, "members/member-000/member.json");
        precious.getParentFile().mkdirs();
        Files.writeString(precious.toPath(), "{\"member\": 0}");
        Files.writeString(new File(runDir, "run.json").toPath(), "{\"format\": 1}");
        List<String> args = new ArrayList<>(List.of("train", job("data:\n  dir: /usr/share/datasets/fashion-mnist\n  limit: 300\n  validation: 100\n"),
                "--run-dir", runDir.getAbsolutePath()));
        CliRun r = run(args.toArray(String[]::new));
        assertEquals(ExitCode.BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains("already holds a run") && r.err().contains("--resume") && r.err().contains("--overwrite"), r.err());
        assertEquals("{\"member\": 0}", Files.readString(precious.toPath()));
    }

    @Test
    void trainsATinyJobEndToEndAndResumeRetrainsNothing() throws IOException {
        File runDir = new File(tmp, "tiny");
        String job = job("members: 2\ndata:\n  dir: /usr/share/datasets/fashion-mnist\n  limit: 600\n  validation: 100\n"
                + "train:\n  epochs: 1\n  batch: 50\nevaluate:\n  enabled: false\n");
        CliRun r = run("train", job, "--run-dir", runDir.getAbsolutePath());
        assertEquals(ExitCode.SUCCESS, r.code(), r.err());
        File m0 = new File(runDir, "members/member-000/member.json");
        File m1 = new File(runDir, "members/member-001/member.json");
        assertTrue(m0.isFile() && m1.isFile());
        assertTrue(new File(runDir, "job.yaml").isFile());
        assertTrue(r.out().contains("finished"), r.out());
        String before = Files.readString(m1.toPath());

        CliRun again = run("train", job, "--run-dir", runDir.getAbsolutePath(), "--resume");
        assertEquals(ExitCode.SUCCESS, again.code(), again.err());
        assertEquals(before, Files.readString(m1.toPath()), "a finished member is left as it is");

        CliRun listing = run("snapshots", runDir.getAbsolutePath());
        assertEquals(ExitCode.SUCCESS, listing.code(), listing.err());
        List<String> rows = listing.out().lines().toList();
        assertEquals(3, rows.size(), listing.out());
        assertTrue(rows.get(1).startsWith("0,finished,snapshots/epoch+final-e0001-i00000010-"), rows.get(1));
        double testAccuracy = Double.parseDouble(rows.get(1).split(",")[8]);
        assertTrue(testAccuracy > 0.3 && testAccuracy <= 1.0, "LeNet after 10 updates beats chance: " + testAccuracy);

        File snapshot = new File(runDir, "members/member-001/" + rows.get(2).split(",")[2]);
        byte[] bytes = Files.readAllBytes(snapshot.toPath());
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(snapshot.toPath(), bytes);
        CliRun corrupt = run("snapshots", runDir.getAbsolutePath());
        assertTrue(corrupt.out().lines().toList().get(2).endsWith(",corrupt,corrupt"), corrupt.out());

        CliRun overwrite = run("train", job, "--run-dir", runDir.getAbsolutePath(), "--overwrite", "--set", "members=1");
        assertEquals(ExitCode.SUCCESS, overwrite.code(), overwrite.err());
        assertFalse(m1.exists(), "--overwrite replaced the whole run");
    }
}
