package io.chorus.ensemble.swa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;

import io.chorus.ensemble.testdata.TinyFashion;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.train.Scores;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.ModelZoo;

/**
 * Stochastic weight averaging of a small VGG with batch normalization trained on 2,000 Fashion-MNIST
 * images (14x14), and the rules on which snapshots may be averaged (on LeNets).
 */
class TrajectoryAverageTest {

    private static final long SEED = 7L;
    private static final int BATCH = 32;
    /** A high constant rate (Nesterov momentum 0.9): the snapshots spread around the basin. */
    private static final double LR = 0.1;
    private static final int EPOCHS = 5;
    /** Snapshots are taken at the end of epochs FIRST_AVERAGED..EPOCHS (1-based). */
    private static final int FIRST_AVERAGED = 2;

    private static ImageData train;
    private static ImageData test;

    @BeforeAll
    static void data() {
        train = TinyFashion.train(2000);
        test = TinyFashion.test(1000);
    }

    private static ComputationGraph build(ModelSpec spec, long seed) {
        return ModelZoo.build(spec, TinyFashion.SHAPE, TinyFashion.CLASSES, seed, new Nesterovs(LR, 0.9), 5e-4);
    }

    @Test
    void averageWithRecomputedBatchNormStatisticsBeatsTheAveragedStatistics() {
        // VGG: s1_conv1 (4) -> BN -> pool -> s2_conv1 (8) -> BN -> pool -> s3_conv1 (16) -> BN -> pool -> fc1 (256)
        // -> BN -> softmax.
        ComputationGraph net = build(TinyFashion.vgg(true, 0), SEED);
        TrajectoryAverage swa = new TrajectoryAverage(false);
        List<INDArray> snapshots = new ArrayList<>();
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            TinyFashion.fitEpoch(net, train, BATCH, SEED, epoch);
            if (epoch + 1 >= FIRST_AVERAGED) {
                swa.add(net, "member-0");
                snapshots.add(net.params().dup());
            }
        }
        assertEquals(snapshots.size(), swa.count());

        ComputationGraph averagedStatistics = swa.result();
        ComputationGraph recomputed = swa.result();
        assertNotSame(averagedStatistics, recomputed);
        // Every entry (batch normalization statistics included) is the mean of the snapshots.
        double[] expected = new double[(int) net.numParams()];
        for (INDArray s : snapshots) {
            double[] v = s.castTo(DataType.DOUBLE).toDoubleVector();
            for (int i = 0; i < v.length; i++) {
                expected[i] += v[i] / snapshots.size();
            }
        }
        double[] actual = averagedStatistics.params().castTo(DataType.DOUBLE).toDoubleVector();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * Math.max(1, Math.abs(expected[i])), "parameter " + i);
        }

        assertEquals(4, BatchNormStatistics.recompute(recomputed, TinyFashion.epoch(train, 100, SEED, 0)),
                "s1_conv1_bn, s2_conv1_bn, s3_conv1_bn and fc1_bn");
        Scores stale = Scores.of(averagedStatistics, test, TinyFashion.normalization(), 500);
        Scores fresh = Scores.of(recomputed, test, TinyFashion.normalization(), 500);
        Scores last = Scores.of(net, test, TinyFashion.normalization(), 500);
        System.out.printf("SWA of %d snapshots: test NLL %.4f / accuracy %.4f with recomputed BN statistics, "
                        + "%.4f / %.4f with averaged ones; last snapshot %.4f / %.4f%n", snapshots.size(),
                fresh.nll(), fresh.accuracy(), stale.nll(), stale.accuracy(), last.nll(), last.accuracy());
        assertTrue(fresh.nll() < stale.nll(), "recomputed statistics must give a lower test NLL: " + fresh.nll()
                + " vs " + stale.nll());
        assertTrue(fresh.accuracy() > 0.5, "the averaged network must be a trained network (chance is 0.1), got "
                + fresh.accuracy());
        assertTrue(fresh.nll() < last.nll(), "at a high constant rate the average must beat the last snapshot: "
                + fresh.nll() + " vs " + last.nll());
    }

    @Test
    void snapshotOfAnotherTrajectoryIsRefusedUnlessAllowed() {
        ModelSpec spec = TinyFashion.lenet(true, 0);
        ComputationGraph member0 = build(spec, SEED);
        ComputationGraph member1 = build(spec, SEED + 1);

        TrajectoryAverage strict = new TrajectoryAverage(false);
        strict.add(member0, "member-0");
        CrossTrajectoryException e = assertThrows(CrossTrajectoryException.class, () -> strict.add(member1, "member-1"));
        assertTrue(e.getMessage().contains("permutation"), e.getMessage());
        assertTrue(e.getMessage().contains("'member-0'") && e.getMessage().contains("'member-1'"), e.getMessage());
        assertEquals("member-0", e.expectedTrajectory());
        assertEquals("member-1", e.offendingTrajectory());
        assertEquals(1, strict.count(), "a refused snapshot is not averaged");
        assertArrayEquals(member0.params().toFloatVector(), strict.result().params().toFloatVector(), 0f);

        TrajectoryAverage demo = new TrajectoryAverage(true);
        demo.add(member0, "member-0");
        demo.add(member1, "member-1");
        assertEquals(2, demo.count());
        INDArray mean = member0.params().add(member1.params()).divi(2);
        assertArrayEquals(mean.toFloatVector(), demo.result().params().toFloatVector(), 1e-6f);
    }

    @Test
    void anotherArchitectureIsAlwaysRefused() {
        ComputationGraph withBn = build(TinyFashion.lenet(true, 0), SEED);
        ComputationGraph withoutBn = build(TinyFashion.lenet(false, 0), SEED);
        TrajectoryAverage lenient = new TrajectoryAverage(true);
        lenient.add(withBn, "member-0");
        for (String trajectory : List.of("member-0", "member-1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> lenient.add(withoutBn, trajectory));
            assertFalse(e instanceof CrossTrajectoryException, "an architecture mismatch, not a trajectory one");
            String m = e.getMessage();
            assertTrue(m.contains("architecture") && m.contains("first difference"), m);
            assertTrue(m.contains(String.format(java.util.Locale.ROOT, "%,d parameters", withBn.numParams()))
                    && m.contains(String.format(java.util.Locale.ROOT, "%,d parameters", withoutBn.numParams())), m);
        }
        assertEquals(1, lenient.count());
    }

    @Test
    void sameParameterShapesButAnotherActivationIsAnotherArchitecture() {
        ModelSpec relu = TinyFashion.lenet(true, 0);
        ModelSpec elu = new ModelSpec(relu.arch(), relu.init(), relu.initSigma(), ActivationKind.ELU, relu.batchnorm(),
                relu.dropout(), relu.depth(), relu.width(), relu.block());
        ComputationGraph a = build(relu, SEED);
        ComputationGraph b = build(elu, SEED);
        assertEquals(a.numParams(), b.numParams());
        TrajectoryAverage swa = new TrajectoryAverage(false);
        swa.add(a, "member-0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> swa.add(b, "member-0"));
        // The first activation layer in topological order is where the configurations part.
        assertTrue(e.getMessage().contains("'conv1_act'") && e.getMessage().contains("ActivationELU"), e.getMessage());
    }

    @Test
    void trainingSettingsAndSerializationAreNotArchitecture() throws IOException {
        ModelSpec spec = TinyFashion.lenet(true, 0.25);
        ComputationGraph net = build(spec, SEED);
        TinyFashion.fitEpoch(net, train.limit(256), BATCH, SEED, 0);
        // The same network written as a snapshot zip and restored, as the ensemble reads members back.
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, zip, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(zip.toByteArray()),
                true);
        // Another seed, optimizer and weight decay: training settings, not architecture.
        ComputationGraph otherTraining = ModelZoo.build(spec, TinyFashion.SHAPE, TinyFashion.CLASSES, SEED + 5,
                new Adam(1e-3), 1e-3);

        TrajectoryAverage swa = new TrajectoryAverage(true);
        swa.add(net, "member-0");
        swa.add(restored, "member-0");
        swa.add(otherTraining, "member-9");
        assertEquals(3, swa.count());
    }

    @Test
    void nothingToAverage() {
        assertThrows(IllegalStateException.class, () -> new TrajectoryAverage(false).result());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TrajectoryAverage(false).add(build(TinyFashion.lenet(false, 0), SEED), ""));
        assertTrue(e.getMessage().contains("trajectoryId"), e.getMessage());
    }
}
