package io.chorus.ensemble.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.function.Supplier;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import io.chorus.ensemble.testdata.TinyFashion;
import io.chorus.worker.zoo.ModelZoo;

class HeadTrainerTest {

    private static final int CLASSES = TinyFashion.CLASSES;

    private static HeadSpec spec(int layers, long seed, boolean bootstrap) {
        return new HeadSpec(layers, 32, 3, 50, 0.01, seed, bootstrap);
    }

    /** Mean NLL and accuracy of {@code head} on {@code features}. */
    private static double[] score(ComputationGraph head, INDArray features, int[] labels) {
        float[][] p = head.outputSingle(false, features).toFloatMatrix();
        double nll = 0;
        int correct = 0;
        for (int i = 0; i < p.length; i++) {
            nll -= Math.log(Math.max(1e-12, p[i][labels[i]]));
            int best = 0;
            for (int k = 1; k < p[i].length; k++) {
                if (p[i][k] > p[i][best]) {
                    best = k;
                }
            }
            correct += best == labels[i] ? 1 : 0;
        }
        return new double[] {nll / p.length, (double) correct / p.length};
    }

    @Test
    void sameSeedSameHeadOtherSeedOrBootstrapAnotherHead() {
        INDArray f = Members.trainFeatures();
        int[] y = Members.trainLabels();
        float[] a = HeadTrainer.train(f, y, CLASSES, spec(1, 1, false)).params().toFloatVector();
        float[] again = HeadTrainer.train(f, y, CLASSES, spec(1, 1, false)).params().toFloatVector();
        float[] otherSeed = HeadTrainer.train(f, y, CLASSES, spec(1, 2, false)).params().toFloatVector();
        float[] bootstrap = HeadTrainer.train(f, y, CLASSES, spec(1, 1, true)).params().toFloatVector();
        float[] bootstrapAgain = HeadTrainer.train(f, y, CLASSES, spec(1, 1, true)).params().toFloatVector();
        assertArrayEquals(a, again, 0f, "same seed, same head");
        assertArrayEquals(bootstrap, bootstrapAgain, 0f, "same seed, same bootstrap sample");
        assertFalse(Arrays.equals(a, otherSeed), "another seed gives another head");
        assertFalse(Arrays.equals(a, bootstrap), "a bootstrap resample gives another head");
    }

    @Test
    void headHasTheRequestedLayers() {
        INDArray f = Members.trainFeatures();
        int[] y = Members.trainLabels();
        long d = f.size(1);
        ComputationGraph regression = HeadTrainer.train(f, y, CLASSES, new HeadSpec(0, 99, 1, 100, 0.01, 3, false));
        assertEquals(d * CLASSES + CLASSES, regression.numParams());
        assertEquals(1, regression.getLayers().length);
        ComputationGraph deep = HeadTrainer.train(f, y, CLASSES, new HeadSpec(2, 16, 1, 100, 0.01, 3, false));
        assertEquals(d * 16 + 16 + 16 * 16 + 16 + 16 * CLASSES + CLASSES, deep.numParams());
        assertEquals(ModelZoo.FEATURES, deep.getConfiguration().getNetworkInputs().get(0));
        assertEquals(ModelZoo.OUTPUT, deep.getConfiguration().getNetworkOutputs().get(0));
    }

    @Test
    void trainingLearnsFromTheFeatures() {
        INDArray f = Members.trainFeatures();
        int[] y = Members.trainLabels();
        HeadSpec spec = new HeadSpec(1, 64, 5, 50, 0.01, 4, false);
        double[] untrained = score(HeadTrainer.build(f.size(1), CLASSES, spec), f, y);
        double[] trained = score(HeadTrainer.train(f, y, CLASSES, spec), f, y);
        assertTrue(trained[0] < untrained[0], "training must lower the loss: " + trained[0] + " vs " + untrained[0]);
        assertTrue(trained[1] > 0.6, "a head on trained features must beat chance (0.1) clearly, got " + trained[1]);
    }

    @Test
    void specAndArgumentsAreValidated() {
        assertField("layers", () -> new HeadSpec(-1, 8, 1, 1, 0.1, 0, false));
        assertField("hidden", () -> new HeadSpec(1, 0, 1, 1, 0.1, 0, false));
        assertField("epochs", () -> new HeadSpec(1, 8, 0, 1, 0.1, 0, false));
        assertField("batch", () -> new HeadSpec(1, 8, 1, 0, 0.1, 0, false));
        assertField("lr", () -> new HeadSpec(1, 8, 1, 1, 0, 0, false));
        assertField("lr", () -> new HeadSpec(1, 8, 1, 1, Double.NaN, 0, false));
        new HeadSpec(0, 0, 1, 1, 0.1, 0, false); // hidden is ignored without hidden layers

        INDArray f = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4, 3);
        HeadSpec ok = new HeadSpec(0, 1, 1, 2, 0.1, 0, false);
        assertField("labels", () -> HeadTrainer.train(f, new int[] {0, 1, 2}, 3, ok));
        assertField("labels[3]", () -> HeadTrainer.train(f, new int[] {0, 1, 2, 3}, 3, ok));
        assertField("numClasses", () -> HeadTrainer.train(f, new int[] {0, 0, 0, 0}, 1, ok));
        assertField("features", () -> HeadTrainer.train(f.reshape(4, 3, 1), new int[] {0, 1, 2, 0}, 3, ok));
    }

    private static void assertField(String field, Supplier<?> call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::get);
        assertTrue(e.getMessage().startsWith(field), "message must name " + field + ": " + e.getMessage());
    }
}
