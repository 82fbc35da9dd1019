package io.chorus.ensemble.swa;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The architecture of a {@link ComputationGraph}: what must agree between two networks for their flat
 * parameter vectors to be averaged element by element and loaded into a clone of either configuration.
 *
 * <p>Two graphs have the same architecture when they have the same network inputs and outputs, the same
 * vertices (by name) with the same inputs, and every vertex has the same configuration once the settings
 * that only steer training are reset: the seed, the iteration and epoch counters, the updaters,
 * regularization, weight and bias initialization, dropout, weight noise, constraints and gradient
 * normalization. Everything else (layer types, sizes, kernels, strides, padding, activations, batch
 * normalization options, preprocessors, ...) is compared as DL4J serializes it to JSON.
 */
final class GraphSignature {

    /** One vertex: its inputs, a short human description and its normalized configuration. */
    private record Vertex(String name, List<String> inputs, String summary, String json) {
    }

    private final List<String> networkInputs;
    private final List<String> networkOutputs;
    private final Map<String, Vertex> vertices;
    private final long numParams;

    private GraphSignature(List<String> networkInputs, List<String> networkOutputs, Map<String, Vertex> vertices,
                           long numParams) {
        this.networkInputs = networkInputs;
        this.networkOutputs = networkOutputs;
        this.vertices = vertices;
        this.numParams = numParams;
    }

    static GraphSignature of(ComputationGraph net) {
        ComputationGraphConfiguration conf = net.getConfiguration();
        Map<String, Vertex> vertices = new LinkedHashMap<>();
        org.deeplearning4j.nn.graph.vertex.GraphVertex[] all = net.getVertices();
        for (int index : net.topologicalSortOrder()) {
            String name = all[index].getVertexName();
            if (conf.getNetworkInputs().contains(name)) {
                continue;
            }
            GraphVertex vertex = conf.getVertices().get(name);
            List<String> inputs = List.copyOf(conf.getVertexInputs().get(name));
            vertices.put(name, new Vertex(name, inputs, summary(net, name, vertex), normalizedJson(name, vertex)));
        }
        return new GraphSignature(List.copyOf(conf.getNetworkInputs()), List.copyOf(conf.getNetworkOutputs()),
                vertices, net.numParams());
    }

    /** For messages: {@code "12 vertices, 431,080 parameters"}. */
    String summary() {
        return String.format(Locale.ROOT, "%d vertices, %,d parameters", vertices.size(), numParams);
    }

    /** The first difference between this architecture ("first") and {@code other} ("this one"), if any. */
    Optional<String> difference(GraphSignature other) {
        if (!networkInputs.equals(other.networkInputs)) {
            return Optional.of("network inputs " + networkInputs + " vs " + other.networkInputs);
        }
        if (!networkOutputs.equals(other.networkOutputs)) {
            return Optional.of("network outputs " + networkOutputs + " vs " + other.networkOutputs);
        }
        for (Vertex a : vertices.values()) {
            Vertex b = other.vertices.get(a.name());
            if (b == null) {
                return Optional.of("vertex '" + a.name() + "' (" + a.summary() + ") exists only in the first");
            }
            if (!a.inputs().equals(b.inputs())) {
                return Optional.of("vertex '" + a.name() + "' reads " + a.inputs() + " vs " + b.inputs());
            }
            if (!a.summary().equals(b.summary())) {
                return Optional.of("vertex '" + a.name() + "' is " + a.summary() + " vs " + b.summary());
            }
            if (!a.json().equals(b.json())) {
                return Optional.of("vertex '" + a.name() + "' is configured " + a.json() + " vs " + b.json());
            }
        }
        for (Vertex b : other.vertices.values()) {
            if (!vertices.containsKey(b.name())) {
                return Optional.of("vertex '" + b.name() + "' (" + b.summary() + ") exists only in this one");
            }
        }
        return Optional.empty();
    }

    /** E.g. {@code "ConvolutionLayer W[20,1,5,5] b[1,20]"} or {@code "PreprocessorVertex"}. */
    private static String summary(ComputationGraph net, String name, GraphVertex vertex) {
        if (!(vertex instanceof LayerVertex lv)) {
            return vertex.getClass().getSimpleName();
        }
        StringBuilder s = new StringBuilder(lv.getLayerConf().getLayer().getClass().getSimpleName());
        Map<String, INDArray> params = net.getLayer(name).paramTable();
        for (Map.Entry<String, INDArray> p : params.entrySet()) {
            s.append(' ').append(p.getKey()).append(Arrays.stream(p.getValue().shape())
                    .mapToObj(Long::toString).collect(Collectors.joining(",", "[", "]")));
        }
        return s.toString();
    }

    private static String normalizedJson(String name, GraphVertex vertex) {
        GraphVertex copy = vertex.clone();
        if (copy instanceof LayerVertex lv) {
            NeuralNetConfiguration c = lv.getLayerConf();
            c.setSeed(0);
            c.setIterationCount(0);
            c.setEpochCount(0);
            // Parameter names, derived from the layer type (and filled in by init()).
            c.setVariables(new ArrayList<>());
            Layer layer = c.getLayer();
            layer.setIDropout(null);
            layer.setConstraints(new ArrayList<>());
            if (layer instanceof BaseLayer b) {
                b.setIUpdater(null);
                b.setBiasUpdater(null);
                b.setRegularization(new ArrayList<>());
                b.setRegularizationBias(new ArrayList<>());
                b.setWeightInitFn(null);
                b.setBiasInit(0);
                b.setGainInit(0);
                b.setWeightNoise(null);
                b.setGradientNormalization(GradientNormalization.None);
                b.setGradientNormalizationThreshold(0);
            }
        }
        try {
            return NeuralNetConfiguration.mapper().writeValueAsString(copy);
        } catch (Exception e) {
            throw new IllegalStateException("cannot serialize the configuration of vertex '" + name + "'", e);
        }
    }
}
