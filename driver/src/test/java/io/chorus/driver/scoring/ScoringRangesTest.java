package io.chorus.driver.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Task ranges are whole scoring batches, so that no task scores a batch another task scores too. */
class ScoringRangesTest {
    @Test
    void rangesAreWholeBatchesCoveringEveryImageOnce() {
        int[][] cases = {{1000, 3, 500}, {1000, 3, 128}, {10000, 4, 256}, {300, 3, 500}, {7, 10, 2}, {1, 1, 1}};
        for (int[] c : cases) {
            int n = c[0];
            int tasks = c[1];
            int batch = c[2];
            List<int[]> ranges = Scoring.ranges(n, tasks, batch);
            assertTrue(ranges.size() <= tasks && !ranges.isEmpty(), n + "/" + tasks + "/" + batch);
            assertEquals(Math.min(tasks, (n + batch - 1) / batch), ranges.size(), "as many tasks as asked while there are batches");
            int next = 0;
            for (int[] r : ranges) {
                assertEquals(next, r[0], "contiguous");
                assertTrue(r[1] > r[0], "not empty");
                assertEquals(0, r[0] % batch, "starts on a batch boundary");
                assertTrue(r[1] % batch == 0 || r[1] == n, "ends on a batch boundary or at the end");
                next = r[1];
            }
            assertEquals(n, next, "every image");
        }
        assertEquals(List.of(0, 500, 500, 1000), Scoring.ranges(1000, 3, 500).stream().flatMapToInt(java.util.Arrays::stream)
                .boxed().toList(), "1000 images in batches of 500 make two tasks, not three");
    }
}
