package io.chorus.driver.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.worker.data.Corruptions;

/** The dataset-shift keys: off by default, every kind by default, kinds validated by name. */
class ShiftKeysTest {
    private static final String MINIMAL = "data:\n  dir: /data/fashion\n";

    @TempDir
    File tmp;

    private static JobConfig parse(String... sets) throws ConfigException {
        return JobConfig.parse(MINIMAL, "job.yaml", List.of(sets));
    }

    @Test
    void shiftIsOffByDefaultAndCoversEveryKind() throws ConfigException {
        JobConfig c = parse();
        assertFalse(c.get(Keys.EVALUATE_SHIFT));
        assertEquals(Arrays.asList(Corruptions.Kind.values()), ShiftKindsSetting.parse(c.get(Keys.EVALUATE_SHIFT_KINDS)));
    }

    @Test
    void kindsAreReadCaseAndSpaceInsensitivelyAndKeptInTheOrderGiven() throws ConfigException {
        JobConfig c = parse("evaluate.shift=true", "evaluate.shift_kinds= Elastic, ROTATION ");
        assertTrue(c.get(Keys.EVALUATE_SHIFT));
        assertEquals("elastic,rotation", c.get(Keys.EVALUATE_SHIFT_KINDS));
        assertEquals(List.of(Corruptions.Kind.ELASTIC, Corruptions.Kind.ROTATION),
                ShiftKindsSetting.parse(c.get(Keys.EVALUATE_SHIFT_KINDS)));
    }

    @Test
    void anUnknownOrRepeatedKindNamesTheKeyTheValueAndTheAllowedNames() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("evaluate.shift_kinds=rotation,wobble"));
        assertTrue(e.getMessage().contains("evaluate.shift_kinds"), e.getMessage());
        assertTrue(e.getMessage().contains("'wobble'"), e.getMessage());
        for (Corruptions.Kind k : Corruptions.Kind.values()) {
            assertTrue(e.getMessage().contains(ShiftKindsSetting.name(k)), e.getMessage());
        }
        ConfigException twice = assertThrows(ConfigException.class, () -> parse("evaluate.shift_kinds=blur,blur"));
        assertTrue(twice.getMessage().contains("evaluate.shift_kinds"), twice.getMessage());
        ConfigException repeated = assertThrows(ConfigException.class,
                () -> parse("evaluate.shift_kinds=contrast,Contrast"));
        assertTrue(repeated.getMessage().contains("contrast is listed twice"), repeated.getMessage());
        ConfigException empty = assertThrows(ConfigException.class, () -> parse("evaluate.shift_kinds=rotation,"));
        assertTrue(empty.getMessage().contains("unknown corruption kind ''"), empty.getMessage());
        ConfigException limit = assertThrows(ConfigException.class, () -> parse("evaluate.shift_limit=-1"));
        assertTrue(limit.getMessage().contains("evaluate.shift_limit"), limit.getMessage());
    }

    @Test
    void aBadKindIsExitCode2WithOneProblemLineBeforeAnythingRuns() throws IOException {
        File job = new File(tmp, "job.yaml");
        Files.writeString(job.toPath(), MINIMAL + "evaluate:\n  shift: true\n  shift_kinds: rotation, wobble\n");
        CliRun r = CliRun.of("train", job.getAbsolutePath(), "--run-dir", new File(tmp, "run").getAbsolutePath());
        assertEquals(ExitCode.BAD_INPUT, r.code(), r.err());
        // The configuration's header line, then one line per problem: here exactly one.
        List<String> problems = r.err().lines().filter(l -> l.startsWith("  ")).toList();
        assertTrue(r.err().startsWith("chorus: invalid job configuration"), r.err());
        assertEquals(1, problems.size(), r.err());
        assertTrue(problems.get(0).trim().startsWith("evaluate.shift_kinds: ") && problems.get(0).contains("'wobble'"),
                r.err());
        assertFalse(new File(tmp, "run").exists(), "nothing was written");
    }
}
