package io.chorus.ensemble.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import io.chorus.ensemble.testdata.TinyFashion;
import io.chorus.worker.zoo.ModelZoo;

class BackboneTest {

    private static INDArray images(int n) {
        return TinyFashion.all(TinyFashion.test(n)).getFeatures();
    }

    private static double maxAbsDifference(INDArray a, INDArray b) {
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    @Test
    void memberHeadOnFeaturesReproducesTheMember() {
        // LeNet heads: fc1 (-> fc1_bn -> fc1_act) -> output, features from a flattening vertex; ResNet's head is
        // the output layer alone, features from a global pooling layer.
        ComputationGraph resnet = TinyFashion.trainMember(TinyFashion.resnet(true, 0.3), 303L, new Nesterovs(0.02, 0.9),
                TinyFashion.train(256), 64, 1);
        INDArray x = images(200);
        for (ComputationGraph member : List.of(Members.batchNormDropout(), Members.plainDropout(), resnet)) {
            Backbone backbone = new Backbone(member);
            ComputationGraph head = backbone.memberHead();
            INDArray viaHead = head.outputSingle(false, backbone.features(x));
            INDArray direct = member.outputSingle(false, x);
            assertArrayEquals(direct.shape(), viaHead.shape());
            double diff = maxAbsDifference(direct, viaHead);
            assertTrue(diff <= 1e-5, "head(features(x)) differs from member(x) by " + diff);
            assertEquals(ModelZoo.FEATURES, head.getConfiguration().getNetworkInputs().get(0));
        }
    }

    @Test
    void memberHeadHoldsACopyOfTheHeadParametersOnly() {
        ComputationGraph member = Members.batchNormDropout();
        INDArray memberBefore = member.params().dup();
        ComputationGraph head = new Backbone(member).memberHead();
        assertEquals(memberBefore, member.params(), "building the head must not touch the member");

        long expected = 0;
        for (String layer : List.of("fc1", "fc1_bn", "output")) {
            expected += member.getLayer(layer).numParams();
            assertEquals(member.getLayer(layer).params(), head.getLayer(layer).params(), layer);
        }
        assertEquals(expected, head.numParams());
        assertEquals(4, head.getLayers().length, "fc1, fc1_bn, fc1_act and output");

        head.getLayer("fc1").getParam("W").addi(1.0);
        assertArrayEquals(memberBefore.toFloatVector(), member.params().toFloatVector(), 0f,
                "the head's parameters are a copy");
    }

    @Test
    void featuresAreInferenceModeCountPassesAndStopAtTheCut() {
        ComputationGraph member = Members.batchNormDropout();
        Backbone backbone = new Backbone(member);
        INDArray x = images(64);
        INDArray batch = backbone.features(x);
        assertEquals(1, backbone.passes());
        assertArrayEquals(new long[] {64, backbone.featureSize()}, batch.shape());

        // Inference mode: an image's features do not depend on the rest of the batch (batch statistics would).
        INDArray alone = backbone.features(x.get(NDArrayIndex.interval(0, 1)).dup());
        INDArray rest = backbone.features(x.get(NDArrayIndex.interval(1, 64)).dup());
        assertEquals(3, backbone.passes());
        assertTrue(maxAbsDifference(batch.getRow(0).reshape(alone.shape()), alone) <= 1e-5);
        assertTrue(maxAbsDifference(batch.get(NDArrayIndex.interval(1, 64)), rest) <= 1e-5);
        // And equal to the member's own inference-mode activations of that vertex.
        INDArray expected = member.feedForward(x, false).get(ModelZoo.FEATURES);
        assertTrue(maxAbsDifference(expected, batch) <= 1e-6);
        // In training mode the batch normalization layers would have used batch statistics.
        INDArray training = member.clone().feedForward(x, true).get(ModelZoo.FEATURES);
        assertNotEquals(training, batch);
    }

    @Test
    void memberWithoutTheCutIsRefused() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(1).dataType(DataType.FLOAT).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(4))
                .addLayer("hidden", new DenseLayer.Builder().nOut(3).activation(Activation.RELU).build(), "in")
                .addLayer(ModelZoo.OUTPUT, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs(ModelZoo.OUTPUT).build());
        net.init();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Backbone(net));
        assertTrue(e.getMessage().contains("'" + ModelZoo.FEATURES + "'"), e.getMessage());
    }
}
