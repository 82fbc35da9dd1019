package io.chorus.driver.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.chorus.worker.train.schedule.CyclicCosineSchedule;

class ReplicaPlanTest {

    @ParameterizedTest(name = "{0} batches, {1} replicas, every {2}")
    @CsvSource({"100,2,5", "110,2,5", "7,3,2", "1,4,5", "64,1,1", "101,4,3"})
    void everyBatchOfAnEpochIsTrainedOnceByOneReplicaInOrder(int batches, int replicas, int every) {
        ReplicaPlan plan = new ReplicaPlan(batches, replicas, every);
        List<Integer> seen = new ArrayList<>();
        for (int r = 0; r < plan.roundsPerEpoch(); r++) {
            List<ReplicaPlan.Slice> round = plan.round(3, r);
            assertEquals(replicas, round.size());
            boolean someWork = false;
            for (ReplicaPlan.Slice s : round) {
                assertEquals(3, s.epoch());
                assertTrue(s.batches() >= 0 && s.batches() <= every, s.toString());
                for (int b = s.from(); b < s.to(); b++) {
                    seen.add(b);
                }
                someWork |= s.batches() > 0;
            }
            assertTrue(someWork, "round " + r + " trains nothing");
        }
        List<Integer> all = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            all.add(b);
        }
        assertEquals(all, seen);
    }

    @Test
    void iterationsAdvanceByTheAveragingFrequencyPerRound() {
        ReplicaPlan plan = new ReplicaPlan(110, 2, 5); // 11 rounds: 10 of 10 batches, the last of 10
        assertEquals(11, plan.roundsPerEpoch());
        assertEquals(55, plan.iterationsPerEpoch());
        assertEquals(0, plan.iterationAt(0, 0));
        assertEquals(60, plan.iterationAt(1, 1));
        assertEquals(1, plan.epochOf(55), "an epoch's end is the next epoch's start");
        assertEquals(0, plan.epochOf(54));
        for (int e = 0; e < 3; e++) {
            for (int r = 0; r < plan.roundsPerEpoch(); r++) {
                long it = plan.iterationAt(e, r);
                assertEquals(e, plan.epochOf(it));
                assertEquals(r, plan.roundOf(it));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> plan.roundOf(57), "not a round's start");
    }

    @Test
    void theLastRoundLeavesReplicasWithoutBatchesRatherThanWrapAround() {
        ReplicaPlan plan = new ReplicaPlan(12, 3, 2); // rounds of 6 batches: two rounds
        List<ReplicaPlan.Slice> last = new ReplicaPlan(13, 3, 2).round(0, 2);
        assertEquals(List.of(new ReplicaPlan.Slice(0, 12, 13), new ReplicaPlan.Slice(0, 13, 13),
                new ReplicaPlan.Slice(0, 13, 13)), last);
        assertEquals(2, plan.roundsPerEpoch());
        assertThrows(IllegalArgumentException.class, () -> plan.round(0, 2));
        assertThrows(IllegalArgumentException.class, () -> new ReplicaPlan(10, 0, 5));
    }

    @Test
    void aCycleEndIsFoundInsideTheRoundItFallsIn() {
        CyclicCosineSchedule cyclic = new CyclicCosineSchedule(0.1, 100, 4); // cycles end at 24, 49, 74, 99
        assertTrue(ReplicaTrainer.cycleEndWithin(cyclic, 20, 25));
        assertFalse(ReplicaTrainer.cycleEndWithin(cyclic, 25, 30));
        assertTrue(ReplicaTrainer.cycleEndWithin(cyclic, 95, 100));
        int ends = 0;
        for (int from = 0; from < 100; from += 5) {
            ends += ReplicaTrainer.cycleEndWithin(cyclic, from, from + 5) ? 1 : 0;
        }
        assertEquals(4, ends, "one cycle snapshot per cycle, as with one replica");
    }
}
