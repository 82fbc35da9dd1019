package io.chorus.worker.zoo;

import static io.chorus.worker.zoo.ZooFixtures.build;
import static io.chorus.worker.zoo.ZooFixtures.configure;
import static io.chorus.worker.zoo.ZooFixtures.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The graph contract the trainer relies on: names, the clean backbone/head cut, serializability. */
class ModelZooGraphTest {

    static Stream<Arguments> graphs() {
        List<Arguments> cases = new ArrayList<>();
        for (Architecture arch : Architecture.values()) {
            for (boolean bn : new boolean[] {false, true}) {
                cases.add(Arguments.of(ZooFixtures.withDropout(spec(arch, bn), 0.5), new ImageShape(28, 28, 1)));
                cases.add(Arguments.of(spec(arch, bn), new ImageShape(8, 8, 1)));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("graphs")
    void featuresIsTheOnlyWayIntoAFullyConnectedHead(ModelSpec spec, ImageShape shape) {
        ComputationGraphConfiguration conf = configure(spec, shape);
        assertEquals(List.of(ModelZoo.INPUT), conf.getNetworkInputs());
        assertEquals(List.of(ModelZoo.OUTPUT), conf.getNetworkOutputs());
        assertTrue(conf.getVertices().containsKey(ModelZoo.FEATURES), "has a features vertex");

        // The head: everything downstream of features.
        Map<String, List<String>> inputs = conf.getVertexInputs();
        Set<String> head = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(ModelZoo.FEATURES));
        while (!todo.isEmpty()) {
            String from = todo.pop();
            inputs.forEach((vertex, ins) -> {
                if (ins.contains(from) && head.add(vertex)) {
                    todo.push(vertex);
                }
            });
        }
        assertTrue(head.contains(ModelZoo.OUTPUT), "output is downstream of features");

        for (String vertex : head) {
            for (String in : inputs.get(vertex)) {
                assertTrue(in.equals(ModelZoo.FEATURES) || head.contains(in),
                        vertex + " in the head must not read backbone vertex " + in);
            }
            Layer layer = layerOf(conf, vertex);
            assertTrue(layer instanceof DenseLayer || layer instanceof OutputLayer
                            || layer instanceof BatchNormalization || layer instanceof ActivationLayer,
                    "head vertex " + vertex + " is fully connected plumbing, got " + layer);
        }
        // No fully connected layer in the backbone: the first one reads features.
        for (String vertex : conf.getVertices().keySet()) {
            if (!head.contains(vertex) && conf.getVertices().get(vertex) instanceof LayerVertex) {
                Layer layer = layerOf(conf, vertex);
                assertFalse(layer instanceof DenseLayer, "dense layer " + vertex + " before features");
            }
        }
        List<String> readers = head.stream().filter(v -> inputs.get(v).contains(ModelZoo.FEATURES)).toList();
        assertEquals(1, readers.size(), "one vertex reads features: " + readers);
        Class<? extends Layer> firstHeadLayer = switch (spec.arch()) {
            case LENET, ALEXNET, VGG -> DenseLayer.class;
            case GOOGLENET, RESNET -> OutputLayer.class;
        };
        assertInstanceOf(firstHeadLayer, layerOf(conf, readers.get(0)));

        InputType featuresType = conf.getLayerActivationTypes(
                InputType.convolutional(shape.height(), shape.width(), shape.channels(), CNN2DFormat.NCHW))
                .get(ModelZoo.FEATURES);
        assertEquals(InputType.Type.FF, featuresType.getType(), "features is a flat vector");
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("graphs")
    void configurationSurvivesJson(ModelSpec spec, ImageShape shape) {
        // Members are shipped to executors as JSON.
        ComputationGraphConfiguration conf = configure(spec, shape);
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
    }

    @Test
    void sameSeedSameWeightsOtherSeedOtherWeights() {
        ModelSpec spec = spec(Architecture.RESNET, true);
        ImageShape shape = new ImageShape(8, 8, 1);
        ComputationGraph a = build(spec, shape);
        ComputationGraph b = build(spec, shape);
        ComputationGraph c = ModelZoo.build(spec, shape, ZooFixtures.CLASSES, ZooFixtures.SEED + 1,
                ZooFixtures.UPDATER, 1e-4);
        assertEquals(a.params(), b.params());
        assertNotEquals(a.params(), c.params());
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void networkSurvivesModelSerializer(Architecture arch) throws IOException {
        // Snapshots are written with DL4J's ModelSerializer and must restore to the same function.
        ImageShape shape = new ImageShape(8, 8, 1);
        ComputationGraph net = build(spec(arch, true), shape);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, bytes, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(
                new ByteArrayInputStream(bytes.toByteArray()), true);
        assertEquals(net.params(), restored.params());
        INDArray x = ZooFixtures.randomBatch(shape, 2).getFeatures();
        assertEquals(net.outputSingle(x), restored.outputSingle(x));
    }

    private static Layer layerOf(ComputationGraphConfiguration conf, String vertex) {
        GraphVertex v = conf.getVertices().get(vertex);
        return v instanceof LayerVertex lv ? lv.getLayerConf().getLayer() : null;
    }
}
