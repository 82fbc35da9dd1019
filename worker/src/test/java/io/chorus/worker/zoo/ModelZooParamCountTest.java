package io.chorus.worker.zoo;

import static io.chorus.worker.zoo.ZooFixtures.CLASSES;
import static io.chorus.worker.zoo.ZooFixtures.build;
import static io.chorus.worker.zoo.ZooFixtures.conv;
import static io.chorus.worker.zoo.ZooFixtures.convUnit;
import static io.chorus.worker.zoo.ZooFixtures.dense;
import static io.chorus.worker.zoo.ZooFixtures.denseUnit;
import static io.chorus.worker.zoo.ZooFixtures.randomBatch;
import static io.chorus.worker.zoo.ZooFixtures.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.chorus.worker.data.ImageShape;
import java.util.List;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Parameter counts against formulas worked out by hand from each architecture's layer sizes, which pins
 * down both the layer widths and the spatial arithmetic (padding, pooling, strides) of the zoo.
 */
class ModelZooParamCountTest {

    @Test
    void lenetOnMnistIsTheClassic431080() {
        ComputationGraph net = build(spec(Architecture.LENET, false), new ImageShape(28, 28, 1));
        assertEquals(431_080L, net.numParams());
        // The same number from the layer sizes: 28 -conv5-> 24 -pool-> 12 -conv5-> 8 -pool-> 4.
        long byHand = conv(5, 1, 20, true) + conv(5, 20, 50, true) + dense(4 * 4 * 50, 500) + dense(500, CLASSES);
        assertEquals(byHand, net.numParams());
        assertEquals("6 layers, 431,080 parameters", ModelZoo.describe(net));
        assertFeatureSize(net, new ImageShape(28, 28, 1), 800);
    }

    @Test
    void lenetOn8x8PadsOnlyTheSecondConvolution() {
        // 8 -conv5 valid-> 4 -pool-> 2 -conv5 same-> 2 -pool-> 1: 50 features.
        ImageShape shape = new ImageShape(8, 8, 1);
        ComputationGraph net = build(spec(Architecture.LENET, false), shape);
        long byHand = conv(5, 1, 20, true) + conv(5, 20, 50, true) + dense(50, 500) + dense(500, CLASSES);
        assertEquals(byHand, net.numParams());
        assertFeatureSize(net, shape, 50);
    }

    @Test
    void lenetOnNonSquareHandlesEachDimension() {
        // Height 12 -conv-> 8 -pool-> 4 -conv (padded, 4 < 5)-> 4 -pool-> 2;
        // width 20 -conv-> 16 -pool-> 8 -conv (valid)-> 4 -pool-> 2: 2 * 2 * 50 = 200 features.
        ImageShape shape = new ImageShape(12, 20, 1);
        ComputationGraph net = build(spec(Architecture.LENET, false), shape);
        long byHand = conv(5, 1, 20, true) + conv(5, 20, 50, true) + dense(200, 500) + dense(500, CLASSES);
        assertEquals(byHand, net.numParams());
        assertFeatureSize(net, shape, 200);
    }

    @ParameterizedTest(name = "batchnorm={0}")
    @ValueSource(booleans = {false, true})
    void vggOnMnist(boolean batchnorm) {
        ImageShape shape = new ImageShape(28, 28, 1);
        ComputationGraph net = build(spec(Architecture.VGG, batchnorm), shape);
        // Stages of two 3x3 same convolutions: 16, 32, 64 channels; pools 28 -> 14 -> 7 -> 3.
        long stages = convUnit(3, 1, 16, batchnorm) + convUnit(3, 16, 16, batchnorm)
                + convUnit(3, 16, 32, batchnorm) + convUnit(3, 32, 32, batchnorm)
                + convUnit(3, 32, 64, batchnorm) + convUnit(3, 64, 64, batchnorm);
        long head = denseUnit(3 * 3 * 64, 256, batchnorm) + dense(256, CLASSES);
        assertEquals(stages + head, net.numParams());
        assertFeatureSize(net, shape, 576);
    }

    @ParameterizedTest(name = "batchnorm={0}")
    @ValueSource(booleans = {false, true})
    void basicResnetOnMnist(boolean batchnorm) {
        ImageShape shape = new ImageShape(28, 28, 1);
        ComputationGraph net = build(spec(Architecture.RESNET, batchnorm), shape);
        assertEquals(basicResnet(1, batchnorm), net.numParams());
        assertFeatureSize(net, shape, 64);
        // Stages 2 and 3 halve the map: 28 -> 14 -> 7.
        assertPooledMap(spec(Architecture.RESNET, batchnorm), shape, 64, 7, 7);
    }

    @Test
    void basicResnetOnCifarShapedImages() {
        ImageShape shape = new ImageShape(32, 32, 3);
        ComputationGraph net = build(spec(Architecture.RESNET, true), shape);
        assertEquals(basicResnet(3, true), net.numParams());
        INDArray out = net.outputSingle(randomBatch(shape, 2).getFeatures());
        assertArrayEquals(new long[] {2, CLASSES}, out.shape());
        assertFeatureSize(net, shape, 64);
        assertPooledMap(spec(Architecture.RESNET, true), shape, 64, 8, 8);
    }

    @Test
    void bottleneckResnet() {
        ImageShape shape = new ImageShape(8, 8, 1);
        ComputationGraph net = build(ZooFixtures.withBlock(spec(Architecture.RESNET, true), BlockKind.BOTTLENECK),
                shape);
        long stem = convUnit(3, 1, 16, true);
        // Stage 1 (inner 16, out 64): the first block projects 16 -> 64 channels.
        long stage1 = convUnit(1, 16, 16, true) + convUnit(3, 16, 16, true) + convUnit(1, 16, 64, true)
                + convUnit(1, 16, 64, true)
                + convUnit(1, 64, 16, true) + convUnit(3, 16, 16, true) + convUnit(1, 16, 64, true);
        long stage2 = convUnit(1, 64, 32, true) + convUnit(3, 32, 32, true) + convUnit(1, 32, 128, true)
                + convUnit(1, 64, 128, true)
                + convUnit(1, 128, 32, true) + convUnit(3, 32, 32, true) + convUnit(1, 32, 128, true);
        long stage3 = convUnit(1, 128, 64, true) + convUnit(3, 64, 64, true) + convUnit(1, 64, 256, true)
                + convUnit(1, 128, 256, true)
                + convUnit(1, 256, 64, true) + convUnit(3, 64, 64, true) + convUnit(1, 64, 256, true);
        assertEquals(stem + stage1 + stage2 + stage3 + dense(256, CLASSES), net.numParams());
        assertFeatureSize(net, shape, 256);
        assertPooledMap(ZooFixtures.withBlock(spec(Architecture.RESNET, true), BlockKind.BOTTLENECK), shape, 256, 2, 2);
    }

    @Test
    void resnetStridesOnlyDimensionsThatCanShrink() {
        // Height 3 -> 2 -> 1, width 1 stays 1 (stride 1 there).
        assertPooledMap(spec(Architecture.RESNET, true), new ImageShape(3, 1, 1), 64, 1, 1);
        assertPooledMap(spec(Architecture.RESNET, true), new ImageShape(12, 20, 1), 64, 3, 5);
    }

    @Test
    void googlenetPoolsOnceBetweenItsStages() {
        // Inception modules of base 16 give 64 channels, of base 32 give 128; 28 -> 14 between stages.
        assertPooledMap(spec(Architecture.GOOGLENET, false), new ImageShape(28, 28, 1), 128, 14, 14);
        assertPooledMap(spec(Architecture.GOOGLENET, true), new ImageShape(8, 1, 1), 128, 4, 1);
    }

    @Test
    void describeReportsNumParams() {
        ComputationGraph net = build(spec(Architecture.RESNET, true), new ImageShape(8, 8, 1));
        String expected = String.format(java.util.Locale.ROOT, "%d layers, %,d parameters",
                net.getLayers().length, net.numParams());
        assertEquals(expected, ModelZoo.describe(net));
    }

    /**
     * Depth 2, width 16 basic ResNet: stem 3x3 to 16; stage 1 two blocks of two 3x3 16->16; stages 2 and
     * 3 double the channels in their first block, which needs a 1x1 projection shortcut.
     */
    private static long basicResnet(int inChannels, boolean bn) {
        long stem = convUnit(3, inChannels, 16, bn);
        long stage1 = 4 * convUnit(3, 16, 16, bn);
        long stage2 = convUnit(3, 16, 32, bn) + convUnit(3, 32, 32, bn) + convUnit(1, 16, 32, bn)
                + 2 * convUnit(3, 32, 32, bn);
        long stage3 = convUnit(3, 32, 64, bn) + convUnit(3, 64, 64, bn) + convUnit(1, 32, 64, bn)
                + 2 * convUnit(3, 64, 64, bn);
        return stem + stage1 + stage2 + stage3 + dense(64, CLASSES);
    }

    /** Shape of the map that global pooling turns into features (found through the graph, not by name). */
    private static void assertPooledMap(ModelSpec spec, ImageShape shape, long channels, long height, long width) {
        ComputationGraphConfiguration conf = ZooFixtures.configure(spec, shape);
        String beforeFeatures = conf.getVertexInputs().get(ModelZoo.FEATURES).get(0);
        InputType type = conf.getLayerActivationTypes(
                InputType.convolutional(shape.height(), shape.width(), shape.channels(), CNN2DFormat.NCHW))
                .get(beforeFeatures);
        InputType.InputTypeConvolutional map = assertInstanceOf(InputType.InputTypeConvolutional.class, type);
        assertEquals(List.of(channels, height, width), List.of(map.getChannels(), map.getHeight(), map.getWidth()),
                "channels, height, width entering features");
    }

    private static void assertFeatureSize(ComputationGraph net, ImageShape shape, long expected) {
        INDArray features = net.feedForward(randomBatch(shape, 2).getFeatures(), false).get(ModelZoo.FEATURES);
        assertArrayEquals(new long[] {2, expected}, features.shape(), "features is [batch, " + expected + "]");
    }
}
