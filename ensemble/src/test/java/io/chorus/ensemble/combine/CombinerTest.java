package io.chorus.ensemble.combine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.calibrate.Temperature;

/**
 * Every {@link Combiner} against values worked out by hand (binary fractions, so they are exact), and what
 * each promises beyond that: vote ties, weight and count validation, the temperature-scaled combiner being
 * {@link Temperature#apply} of its inner combination with the inner prediction kept.
 */
class CombinerTest {
    /** Two members, two examples, three classes; both examples' means tie on classes 0 and 1. */
    static final double[][] A = {{0.5, 0.5, 0.0}, {1.0, 0.0, 0.0}};
    static final double[][] B = {{0.25, 0.25, 0.5}, {0.0, 1.0, 0.0}};

    private static void assertMatrixEquals(double[][] expected, double[][] actual) {
        assertEquals(expected.length, actual.length);
        for (int j = 0; j < expected.length; j++) {
            assertArrayEquals(expected[j], actual[j], 0.0, "row " + j);
        }
    }

    @Test
    void meanAverage() {
        Combiner c = new MeanAverage();
        assertMatrixEquals(new double[][] {{0.375, 0.375, 0.25}, {0.5, 0.5, 0.0}}, c.combine(List.of(A, B)));
        assertArrayEquals(new int[] {0, 0}, c.predict(List.of(A, B)), "argmax, lowest index on ties");
        assertArrayEquals(new double[] {0.5, 0.5}, c.memberWeights(2), 0.0);
        assertEquals("average", c.name());
    }

    @Test
    void weightedAverage() {
        Combiner c = new WeightedAverage(new double[] {0.75, 0.25});
        // 0.75 * 0.5 + 0.25 * 0.25 = 0.4375; 0.25 * 0.5 = 0.125; 0.75 * 1 = 0.75.
        assertMatrixEquals(new double[][] {{0.4375, 0.4375, 0.125}, {0.75, 0.25, 0.0}}, c.combine(List.of(A, B)));
        assertArrayEquals(new int[] {0, 0}, c.predict(List.of(A, B)));
        assertArrayEquals(new double[] {0.25, 0.75, 0.0}, new WeightedAverage(new double[] {0.25, 0.75})
                .combine(List.of(A, B))[1], 0.0, "the weights follow member order");
        assertArrayEquals(new double[] {0.75, 0.25}, c.memberWeights(2), 0.0);
    }

    @Test
    void weightsAreValidatedAndCopied() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> new WeightedAverage(new double[] {1.25, -0.25}));
        assertTrue(negative.getMessage().contains("weight 1 is -0.25"), negative.getMessage());
        IllegalArgumentException sum = assertThrows(IllegalArgumentException.class,
                () -> new WeightedAverage(new double[] {0.5, 0.25}));
        assertTrue(sum.getMessage().contains("sum to 0.75"), sum.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WeightedAverage(new double[] {Double.NaN, 1}));
        assertThrows(IllegalArgumentException.class, () -> new WeightedAverage(null));
        assertThrows(IllegalArgumentException.class, () -> new WeightedAverage(new double[0]));
        WeightedAverage c = new WeightedAverage(new double[] {0.5, 0.5});
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> c.combine(List.of(A, B, A)));
        assertTrue(count.getMessage().contains("expected 3 (one per member)"), count.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.memberWeights(3));

        double[] w = {0.5, 0.5};
        WeightedAverage copied = new WeightedAverage(w);
        w[0] = 1;
        copied.weights()[1] = 7;
        assertArrayEquals(new double[] {0.5, 0.5}, copied.weights(), 0.0, "neither the argument nor the getter leaks");
        assertEquals(new WeightedAverage(new double[] {0.5, 0.5}), copied);
        assertNotEquals(new WeightedAverage(new double[] {0.75, 0.25}), copied);
    }

    @Test
    void voteSharesAndTheVotesTieRule() {
        Combiner c = new MajorityVote();
        double[][] m0 = {{1.0, 0.0, 0.0}};
        double[][] m1 = {{0.375, 0.625, 0.0}};
        // Votes 0, 1, 1: shares 1/3, 2/3, 0 and class 1, although class 0 has more summed probability.
        assertMatrixEquals(new double[][] {{1.0 / 3, 2.0 / 3, 0.0}}, c.combine(List.of(m0, m1, m1)));
        assertArrayEquals(new int[] {1}, c.predict(List.of(m0, m1, m1)));
        // Votes 0 and 2 tie; summed probabilities 0.75 and 0.875: class 2, where the shares' argmax is 0.
        double[][] t0 = {{0.75, 0.25, 0.0}};
        double[][] t1 = {{0.0, 0.125, 0.875}};
        assertMatrixEquals(new double[][] {{0.5, 0.0, 0.5}}, c.combine(List.of(t0, t1)));
        assertArrayEquals(new int[] {0}, Probabilities.argmax(c.combine(List.of(t0, t1))));
        assertArrayEquals(new int[] {2}, c.predict(List.of(t0, t1)));
        assertArrayEquals(new int[] {2}, c.predict(List.of(t1, t0)), "whatever the members' order");
        // A tie on votes and on summed probability (0.5 each): the lowest index.
        double[][] e0 = {{0.5, 0.0, 0.5}};
        double[][] e1 = {{0.0, 0.0, 1.0}};
        double[][] e2 = {{1.0, 0.0, 0.0}};
        assertArrayEquals(new int[] {0}, c.predict(List.of(e0, e1, e2, e1, e2)),
                "votes 0, 2, 0, 2, 0 -> 0 wins outright");
        assertArrayEquals(new int[] {0}, c.predict(List.of(e1, e2)), "votes 2 and 0, sums 1 and 1 -> lowest index");
        assertEquals("vote", c.name());
    }

    @Test
    void selectionCountsAreWeights() {
        double[][] x = {{1.0, 0.0}, {0.5, 0.5}};
        double[][] y = {{0.0, 1.0}, {0.25, 0.75}};
        double[][] z = {{0.5, 0.5}, {0.5, 0.5}};
        Combiner c = new SelectionAverage(new int[] {3, 1, 0});
        // (3x + y) / 4: row 0 (0.75, 0.25), row 1 (1.75/4, 2.25/4).
        assertMatrixEquals(new double[][] {{0.75, 0.25}, {0.4375, 0.5625}}, c.combine(List.of(x, y, z)));
        assertArrayEquals(new double[] {0.75, 0.25, 0.0}, c.memberWeights(3), 0.0);
        assertArrayEquals(new int[] {0, 1}, c.predict(List.of(x, y, z)));
        assertMatrixEquals(new WeightedAverage(c.memberWeights(3)).combine(List.of(x, y, z)), c.combine(List.of(x, y, z)));
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> new SelectionAverage(new int[] {1, -1}));
        assertTrue(negative.getMessage().contains("count 1 is -1"), negative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SelectionAverage(new int[] {0, 0}));
        assertThrows(IllegalArgumentException.class, () -> new SelectionAverage(null));
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> c.combine(List.of(x, y)));
        assertTrue(count.getMessage().contains("counts has 3 entries, expected 2"), count.getMessage());
        // A model with count 0 is still checked.
        double[][] bad = {{Double.NaN, 1.0}, {0.5, 0.5}};
        assertThrows(IllegalArgumentException.class, () -> c.combine(List.of(x, y, bad)));
    }

    @Test
    void temperatureScalingByHand() {
        double[][] p = {{0.64, 0.36}};
        // T = 2: p^(1/2) = (0.8, 0.6), normalized (4/7, 3/7); T = 1/2: p^2 = (0.4096, 0.1296) over 0.5392.
        assertArrayEquals(new double[] {4.0 / 7, 3.0 / 7},
                new TemperatureScaled(new MeanAverage(), 2).combine(List.<double[][]>of(p))[0], 1e-15);
        assertArrayEquals(new double[] {0.4096 / 0.5392, 0.1296 / 0.5392},
                new TemperatureScaled(new MeanAverage(), 0.5).combine(List.<double[][]>of(p))[0], 1e-15);
        double[][] one = new TemperatureScaled(new MeanAverage(), 1).combine(List.of(A, B));
        assertArrayEquals(new double[] {0.375, 0.375, 0.25}, one[0], 1e-15, "T = 1 leaves p as it is");
        assertArrayEquals(new double[] {0.5, 0.5, 0.0}, one[1], 1e-14, "up to the floor of a zero probability");
    }

    @Test
    void temperatureScaledIsApplyOfTheInnerCombinationAndKeepsItsPrediction() {
        SplittableRandom random = new SplittableRandom(11);
        List<double[][]> members = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            members.add(AverageTest.randomMember(random, 200, 5));
        }
        List<Combiner> inners = List.of(new MeanAverage(), new WeightedAverage(new double[] {0.5, 0.25, 0.125, 0.125}),
                new SelectionAverage(new int[] {2, 0, 1, 1}), new MajorityVote());
        for (Combiner inner : inners) {
            for (double t : new double[] {0.3, 1.7, 40}) {
                TemperatureScaled c = new TemperatureScaled(inner, t);
                double[][] scaled = c.combine(members);
                assertMatrixEquals(Temperature.apply(inner.combine(members), t), scaled);
                assertNotEquals(inner.combine(members)[0][0], scaled[0][0], inner.name() + " T=" + t + " changes p");
                assertArrayEquals(inner.predict(members), c.predict(members), inner.name() + " T=" + t);
                assertArrayEquals(inner.memberWeights(4), c.memberWeights(4), 0.0);
                assertEquals("temperature-scaled " + inner.name(), c.name());
                if (!(inner instanceof MajorityVote)) {
                    assertArrayEquals(Probabilities.argmax(scaled), c.predict(members), "argmax is kept");
                }
            }
        }
        // Wrapping a vote keeps the vote's tie rule, which the argmax of the scaled shares would not.
        double[][] t0 = {{0.75, 0.25, 0.0}};
        double[][] t1 = {{0.0, 0.125, 0.875}};
        assertArrayEquals(new int[] {2}, new TemperatureScaled(new MajorityVote(), 3).predict(List.of(t0, t1)));
    }

    @Test
    void aTemperatureMustBeFiniteAndPositive() {
        for (double t : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TemperatureScaled(new MeanAverage(), t));
            assertTrue(e.getMessage().contains("finite and positive, got " + t), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new TemperatureScaled(null, 1.5));
    }

    @Test
    void combinersSurviveJavaSerialization() throws IOException, ClassNotFoundException {
        List<double[][]> members = List.of(A, B);
        for (Combiner c : List.of(new MeanAverage(), new WeightedAverage(new double[] {0.75, 0.25}), new MajorityVote(),
                new SelectionAverage(new int[] {1, 3}), new TemperatureScaled(new WeightedAverage(new double[] {0.5, 0.5}), 2.5))) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(c);
            }
            Combiner back;
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                back = (Combiner) in.readObject();
            }
            assertEquals(c, back);
            assertMatrixEquals(c.combine(members), back.combine(members));
        }
    }
}
