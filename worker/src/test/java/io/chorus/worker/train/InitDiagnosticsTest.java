package io.chorus.worker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.ModelZoo;
import io.chorus.worker.zoo.WeightInitKind;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Measuring must not change training, and the diagnostics must show what initialization theory predicts on a plain 9-convolution VGG: He keeps
 * the signal's scale through depth, N(0, 1) weights blow it up by about sqrt(fan_in / 2) per ReLU layer,
 * N(0, 0.01^2) weights shrink it.
 */
class InitDiagnosticsTest {
    private static final ImageShape SHAPE = new ImageShape(16, 16, 1);

    private static ComputationGraph vgg(WeightInitKind init, double sigma) {
        ModelSpec spec = new ModelSpec(Architecture.VGG, init, sigma, ActivationKind.RELU, false, 0.0, 3, 8,
                BlockKind.BASIC);
        return ModelZoo.build(spec, SHAPE, 10, 5L, new Sgd(0.01), 0);
    }

    private static INDArray images(int n) {
        Nd4j.getRandom().setSeed(3);
        return Nd4j.randn(DataType.FLOAT, n, 1, 16, 16);
    }

    /** Output std of the last convolution over that of the first. */
    private static double growth(InitDiagnostics d) {
        List<InitDiagnostics.LayerStats> convs = d.layers().stream()
                .filter(l -> l.kind().equals("ConvolutionLayer")).toList();
        assertEquals(9, convs.size(), "3 stages of 3 convolutions: " + convs);
        return convs.get(convs.size() - 1).activationStd() / convs.get(0).activationStd();
    }

    @Test
    void heKeepsTheScaleWhileNaiveGaussiansExplodeOrVanish() {
        double he = growth(InitDiagnostics.atInitialization(vgg(WeightInitKind.HE, 0), images(64)));
        double big = growth(InitDiagnostics.atInitialization(vgg(WeightInitKind.NORMAL, 1.0), images(64)));
        double small = growth(InitDiagnostics.atInitialization(vgg(WeightInitKind.NORMAL, 0.01), images(64)));
        assertTrue(he > 0.2 && he < 5, "He: last/first conv std " + he);
        assertTrue(big > 1e4, "N(0,1): last/first conv std " + big);
        assertTrue(small < 1e-4, "N(0,0.01^2): last/first conv std " + small);
    }

    @Test
    void measuringChangesNeitherTheParametersNorTheTrainingThatFollows() {
        // LeNet with batch norm and dropout: the layers whose training-mode forward pass could leave state.
        ModelSpec spec = new ModelSpec(Architecture.LENET, WeightInitKind.HE, 0, ActivationKind.RELU, true, 0.3, 2,
                16, BlockKind.BASIC);
        ImageShape mnist = new ImageShape(28, 28, 1);
        ComputationGraph measured = ModelZoo.build(spec, mnist, 10, 9L, new Sgd(0.05), 1e-4);
        ComputationGraph plain = ModelZoo.build(spec, mnist, 10, 9L, new Sgd(0.05), 1e-4);
        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.randn(DataType.FLOAT, 32, 1, 28, 28);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 32, 10);
        for (int i = 0; i < 32; i++) {
            y.putScalar(i, (i * 7) % 10, 1f);
        }
        float[] before = measured.params().toFloatVector();
        InitDiagnostics d = InitDiagnostics.atInitialization(measured, x);
        // toFloatVector and assertArrayEquals compare exactly (INDArray.equals allows 1e-5).
        assertArrayEquals(before, measured.params().toFloatVector(), "batch-norm running statistics and weights untouched");
        measured.addListeners(d.gradientRecorder());
        for (int i = 0; i < 5; i++) {
            Nd4j.getRandom().setSeed(100 + i);
            measured.fit(new DataSet(x, y));
            Nd4j.getRandom().setSeed(100 + i);
            plain.fit(new DataSet(x, y));
        }
        assertArrayEquals(plain.params().toFloatVector(), measured.params().toFloatVector(),
                "five updates with and without diagnostics, bit for bit");
        assertTrue(d.layers().stream().anyMatch(l -> l.kind().equals("BatchNormalization")));
    }

    @Test
    void recordsTheGradientNormOfEachTrainableLayerForTheFirstUpdatesOnly() {
        ComputationGraph net = vgg(WeightInitKind.HE, 0);
        INDArray x = images(32);
        InitDiagnostics d = InitDiagnostics.atInitialization(net, x);
        InitDiagnostics.GradientRecorder recorder = d.gradientRecorder();
        net.addListeners(recorder);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 32, 10);
        for (int i = 0; i < 32; i++) {
            y.putScalar(i, i % 10, 1f);
        }
        for (int i = 0; i < InitDiagnostics.GRADIENT_ITERATIONS + 5; i++) {
            net.fit(new DataSet(x, y));
        }
        InitDiagnostics r = recorder.result();
        assertTrue(recorder.done());
        assertEquals(InitDiagnostics.GRADIENT_ITERATIONS, r.iterations());
        for (InitDiagnostics.LayerStats l : r.layers()) {
            boolean trainable = net.getLayer(l.name()).numParams() > 0;
            assertEquals(trainable ? InitDiagnostics.GRADIENT_ITERATIONS : 0, l.gradientNorm().size(), l.name());
        }
        // The output layer's gradient at the first update, by hand: softmax cross-entropy averaged over the
        // batch gives dL/dW = h^T (p - y) / n, so its norm cannot be zero while p != y.
        double first = r.layers().get(r.layers().size() - 1).gradientNorm().get(0);
        assertTrue(first > 1e-3, "output layer gradient norm " + first);
    }
}
