package io.chorus.driver.hostile;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Job files that cannot mean what their author wanted, each refused by {@code chorus train} before anything
 * is read or written: exit 2, one message naming the key and what is wrong, no run directory.
 */
class JobFileHostileTest {
    private static final String DATA = "/usr/share/datasets/fashion-mnist";

    @TempDir
    Path tmp;

    /** Trains {@code yaml} and asserts it is refused naming every culprit, the job file and tmp untouched. */
    private void refused(String yaml, String... culprits) throws IOException {
        Path job = Files.writeString(tmp.resolve("job.yaml"), yaml);
        Path run = tmp.resolve("run");
        Hostile.refused(new Path[] {tmp}, culprits, "train", job.toString(), "--run-dir", run.toString(),
                "--master", "in-process");
        assertFalse(Files.exists(run), "a refused job creates no run directory");
    }

    @Test
    void anUnknownTrainingEngineIsRefusedListingTheChoices() throws IOException {
        refused("data:\n  dir: " + DATA + "\ntrain:\n  engine: cuda\n", "train.engine", "auto, onednn, dl4j", "cuda");
    }

    @Test
    void aKeyGivenTwiceIsRefusedNamingBothLines() throws IOException {
        refused("members: 2\ndata:\n  dir: " + DATA + "\nmembers: 3\n",
                "members: given twice", "line 1", "line 4");
    }

    @Test
    void aKeyGivenNestedAndDottedIsADuplicateToo() throws IOException {
        refused("data:\n  dir: " + DATA + "\n  limit: 300\ndata.dir: /elsewhere\n",
                "data.dir: given twice", "line 2", "line 4");
    }

    @Test
    void aSectionGivenTwiceIsRefused() throws IOException {
        refused("data:\n  dir: " + DATA + "\ntrain:\n  epochs: 1\ndata:\n  limit: 300\n",
                "data: given twice", "line 1", "line 5");
    }

    @Test
    void aScalarWhereASectionBelongsSaysTheSectionsKeys() throws IOException {
        refused("data: foo\n", "data: is a section whose keys are data.dir, data.classes, data.limit",
                "expected a mapping, got 'foo'");
    }

    @Test
    void noValidationSplitIsRefusedSayingWhatItIsFor() throws IOException {
        refused("data:\n  dir: " + DATA + "\n  limit: 300\n  validation: 0\n",
                "data.validation: must be at least 1, got 0", "metrics", "ensemble weights", "selection",
                "best member");
    }

    @Test
    void anErasingAreaWithMinAboveMaxIsRefusedSayingTheBounds() throws IOException {
        refused("data:\n  dir: " + DATA + "\n  augment:\n    erase: 0.5\n    erase_area: '0.5,0.1'\n",
                "data.augment.erase_area", "0 < min <= max <= 1", "'0.5,0.1'");
    }

    @Test
    void anErasingFillThatIsNotARawValueIsRefused() throws IOException {
        refused("data:\n  dir: " + DATA + "\n  augment:\n    erase_fill: gray\n", "data.augment.erase_fill",
                "0 and 255, or noise", "'gray'");
    }

    @Test
    void aNegativeCropPaddingIsRefused() throws IOException {
        refused("data:\n  dir: " + DATA + "\n  augment:\n    crop_padding: -2\n", "data.augment.crop_padding", "-2");
    }
}
