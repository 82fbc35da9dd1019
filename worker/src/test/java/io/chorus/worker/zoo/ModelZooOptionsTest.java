package io.chorus.worker.zoo;

import static io.chorus.worker.zoo.ZooFixtures.UPDATER;
import static io.chorus.worker.zoo.ZooFixtures.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;

/** Batch normalization, activation, L2 and updater options reach every layer they are documented for. */
class ModelZooOptionsTest {

    private static final ImageShape SHAPE = new ImageShape(12, 12, 3);

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void batchnormSplitsEveryUnitIntoLinearBnActivation(Architecture arch) {
        ComputationGraphConfiguration conf = ModelZoo.configure(spec(arch, true), SHAPE, 10, 1L, UPDATER, 0);
        int units = 0;
        for (String name : conf.getVertices().keySet()) {
            Layer layer = layerOf(conf, name);
            if (layer instanceof ConvolutionLayer || layer instanceof DenseLayer) {
                units++;
                assertInstanceOf(ActivationIdentity.class, ((BaseLayer) layer).getActivationFn(), name);
                boolean hasBias = layer instanceof ConvolutionLayer c ? c.hasBias() : ((DenseLayer) layer).hasBias();
                assertFalse(hasBias, name + " has no bias under batch normalization");
                List<String> consumers = consumers(conf, name);
                assertEquals(1, consumers.size(), name + " feeds only its BN: " + consumers);
                assertInstanceOf(BatchNormalization.class, layerOf(conf, consumers.get(0)), name);
            }
            if (layer instanceof BatchNormalization) {
                assertInstanceOf(ActivationIdentity.class, ((BaseLayer) layer).getActivationFn(), name);
            }
        }
        assertTrue(units > 0);
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void withoutBatchnormUnitsCarryBiasAndNoBnExists(Architecture arch) {
        ComputationGraphConfiguration conf = ModelZoo.configure(spec(arch, false), SHAPE, 10, 1L, UPDATER, 0);
        for (String name : conf.getVertices().keySet()) {
            Layer layer = layerOf(conf, name);
            assertFalse(layer instanceof BatchNormalization, name);
            if (layer instanceof ConvolutionLayer c) {
                assertTrue(c.hasBias(), name);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ActivationKind.class)
    void activationKindReachesEveryNonlinearity(ActivationKind kind) {
        for (boolean bn : new boolean[] {false, true}) {
            ModelSpec spec = ZooFixtures.withActivation(spec(Architecture.VGG, bn), kind);
            ComputationGraphConfiguration conf = ModelZoo.configure(spec, SHAPE, 10, 1L, UPDATER, 0);
            int nonlinear = 0;
            for (String name : conf.getVertices().keySet()) {
                Layer layer = layerOf(conf, name);
                if (layer instanceof ActivationLayer || layer instanceof ConvolutionLayer
                        || layer instanceof DenseLayer) {
                    IActivation fn = layer instanceof ActivationLayer a
                            ? a.getActivationFn() : ((BaseLayer) layer).getActivationFn();
                    if (!(fn instanceof ActivationIdentity)) {
                        nonlinear++;
                        assertActivation(kind, fn, name);
                    }
                }
            }
            // VGG: 6 convolutions and 1 hidden dense layer, each with one nonlinearity.
            assertEquals(7, nonlinear, "nonlinearities with batchnorm=" + bn);
            assertInstanceOf(ActivationSoftmax.class, ((BaseLayer) layerOf(conf, ModelZoo.OUTPUT)).getActivationFn());
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void l2OnWeightsOnlyAndTheUpdaterEverywhere(Architecture arch) {
        double l2 = 3e-4;
        ComputationGraphConfiguration conf = ModelZoo.configure(spec(arch, true), SHAPE, 10, 1L, UPDATER, l2);
        for (String name : conf.getVertices().keySet()) {
            if (layerOf(conf, name) instanceof BaseLayer layer && layer.getIUpdater() != null) {
                assertEquals(UPDATER, layer.getIUpdater(), name);
                assertTrue(layer.getRegularizationBias().isEmpty(), name + " has no L2 on biases");
                if (layer instanceof ConvolutionLayer || layer instanceof DenseLayer || layer instanceof OutputLayer) {
                    List<Regularization> reg = layer.getRegularization();
                    assertEquals(1, reg.size(), name);
                    L2Regularization l2Reg = assertInstanceOf(L2Regularization.class, reg.get(0), name);
                    assertEquals(l2, l2Reg.getL2().valueAt(0, 0), 1e-12, name);
                }
            }
        }
    }

    private static void assertActivation(ActivationKind kind, IActivation fn, String name) {
        switch (kind) {
            case RELU -> assertInstanceOf(ActivationReLU.class, fn, name);
            case LEAKYRELU -> assertEquals(0.01, assertInstanceOf(ActivationLReLU.class, fn, name).getAlpha(), 0.0);
            case ELU -> assertInstanceOf(ActivationELU.class, fn, name);
        }
    }

    private static List<String> consumers(ComputationGraphConfiguration conf, String vertex) {
        return conf.getVertexInputs().entrySet().stream()
                .filter(e -> e.getValue().contains(vertex))
                .map(Map.Entry::getKey)
                .toList();
    }

    private static Layer layerOf(ComputationGraphConfiguration conf, String vertex) {
        GraphVertex v = conf.getVertices().get(vertex);
        return v instanceof LayerVertex lv ? lv.getLayerConf().getLayer() : null;
    }
}
