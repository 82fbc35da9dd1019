package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.EngineFixtures.build;
import static io.chorus.worker.engine.onednn.EngineFixtures.compile;
import static io.chorus.worker.engine.onednn.EngineFixtures.features;
import static io.chorus.worker.engine.onednn.EngineFixtures.labels;
import static io.chorus.worker.engine.onednn.EngineFixtures.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * The engine against DL4J's own path on the same batch and parameters: the score (mean cross-entropy
 * plus DL4J's L2 term), every parameter gradient, and inference outputs. DL4J's gradient view holds the
 * sum over the batch (its updater divides by the batch size later), the engine's the gradient of the
 * mean: the comparison divides DL4J's by the batch size.
 *
 * <p>The cases cover every layer kind the zoo emits: convolution valid/same/strided with fused bias and
 * activation or without bias before BN; max pooling 2x2 (odd sizes) and 3x3 same; BN over maps and over
 * dense features; activation layers relu, leaky relu and elu; dense with fused activation; flatten;
 * residual add with identity and projection shortcuts; inception merge; global average pooling; softmax
 * output.
 */
class OneDnnNetworkGradientTest {
    static final double GRADIENT_TOLERANCE = 1e-4;
    static final int BATCH = 8;

    static Stream<Arguments> networks() {
        ImageShape mnist = new ImageShape(28, 28, 1);
        ImageShape small = new ImageShape(12, 12, 1);
        ImageShape oblong = new ImageShape(9, 13, 3);
        ActivationKind relu = ActivationKind.RELU;
        return Stream.of(
                Arguments.of("lenet", spec(Architecture.LENET, false, relu, BlockKind.BASIC, 0), mnist),
                Arguments.of("lenet-bn", spec(Architecture.LENET, true, relu, BlockKind.BASIC, 0), mnist),
                Arguments.of("lenet-oblong", spec(Architecture.LENET, false, relu, BlockKind.BASIC, 0), oblong),
                Arguments.of("resnet-basic-bn", spec(Architecture.RESNET, true, relu, BlockKind.BASIC, 0), mnist),
                Arguments.of("resnet-basic", spec(Architecture.RESNET, false, relu, BlockKind.BASIC, 0), oblong),
                Arguments.of("resnet-bottleneck-bn", spec(Architecture.RESNET, true, relu, BlockKind.BOTTLENECK, 0), small),
                Arguments.of("googlenet-bn", spec(Architecture.GOOGLENET, true, relu, BlockKind.BASIC, 0), small),
                Arguments.of("googlenet", spec(Architecture.GOOGLENET, false, relu, BlockKind.BASIC, 0), oblong),
                Arguments.of("vgg-elu", spec(Architecture.VGG, false, ActivationKind.ELU, BlockKind.BASIC, 0), small),
                Arguments.of("vgg-bn", spec(Architecture.VGG, true, relu, BlockKind.BASIC, 0), small),
                Arguments.of("alexnet-leaky-bn", spec(Architecture.ALEXNET, true, ActivationKind.LEAKYRELU, BlockKind.BASIC, 0), small),
                Arguments.of("alexnet", spec(Architecture.ALEXNET, false, relu, BlockKind.BASIC, 0), oblong));
    }

    @ParameterizedTest(name = "{0} on {2}")
    @MethodSource("networks")
    void lossGradientsAndOutputsMatchDl4j(String label, ModelSpec spec, ImageShape shape) {
        ComputationGraph net = build(spec, shape, new Sgd(0.0));
        INDArray x = features(shape, BATCH, 11);
        INDArray y = labels(BATCH, 12);
        try (OneDnnNetwork engine = compile(net, shape)) {
            double engineScore = engine.gradient(x, y);
            INDArray engineGrad = engine.gradientCopy();
            INDArray engineOut = engine.output(x);

            net.setInputs(x);
            net.setLabels(y);
            net.computeGradientAndScore();
            double dl4jScore = net.score();
            INDArray dl4jGrad = net.gradient().gradient().dup().divi(BATCH);
            INDArray dl4jOut = net.output(false, x)[0];

            assertEquals(dl4jScore, engineScore, GRADIENT_TOLERANCE * Math.abs(dl4jScore), "score of " + label);
            EngineFixtures.assertTrainableClose(net, dl4jGrad, engineGrad, GRADIENT_TOLERANCE, label + " gradients");
            double outErr = dl4jOut.sub(engineOut).amaxNumber().doubleValue();
            assertTrue(outErr <= 1e-5, label + " inference outputs differ by " + outErr);
        }
    }
}
