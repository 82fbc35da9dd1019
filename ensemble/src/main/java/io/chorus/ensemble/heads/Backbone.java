package io.chorus.ensemble.heads;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;

import io.chorus.worker.engine.Engine;
import io.chorus.worker.zoo.ModelZoo;

/**
 * The backbone of a trained member: everything up to and including its {@value ModelZoo#FEATURES}
 * vertex, which (by the model zoo's contract) is the only way into the classifier head.
 *
 * <p>{@link #features} runs the member in inference mode (batch normalization with its global
 * statistics, no dropout) up to that vertex only, so the features of an image do not depend on the
 * other images of the batch, and the head is not computed. Every call counts as one backbone pass
 * ({@link #passes()}), which is how the cost of head ensembles is accounted.
 *
 * <p>The member is read, never modified. Not thread-safe (DL4J networks are not).
 */
public final class Backbone {

    private final ComputationGraph member;
    /** Computes the features of a batch in place of DL4J's feed-forward (null: DL4J's). */
    private final UnaryOperator<INDArray> compute;
    private final int featuresPosition;
    private final long featureSize;
    private long passes;

    /**
     * @param member a member network following the model zoo's graph contract: one input, and a vertex
     *               {@value ModelZoo#FEATURES} through which alone the head is reached
     * @throws IllegalArgumentException if the member has no {@value ModelZoo#FEATURES} vertex, more than
     *                                  one input, or a head that also reads other backbone vertices
     */
    public Backbone(ComputationGraph member) {
        this(member, null);
    }

    /**
     * A backbone whose {@link #features} come from {@code compute} (the same member compiled onto another
     * engine: its {@value ModelZoo#FEATURES} activations, {@code [N, featureSize()]}) instead of DL4J's
     * feed-forward; null for DL4J's. Checked and counted as DL4J's.
     */
    public Backbone(ComputationGraph member, UnaryOperator<INDArray> compute) {
        this.member = Objects.requireNonNull(member, "member");
        this.compute = compute;
        ComputationGraphConfiguration conf = member.getConfiguration();
        if (!conf.getVertices().containsKey(ModelZoo.FEATURES)) {
            throw new IllegalArgumentException("member has no vertex named '" + ModelZoo.FEATURES
                    + "' (the cut between backbone and head); its vertices are " + conf.getVertices().keySet());
        }
        if (conf.getNetworkInputs().size() != 1) {
            throw new IllegalArgumentException("member must have exactly one input, has " + conf.getNetworkInputs());
        }
        // DL4J's feedForward(inputs, layerTillIndex, ...) computes the vertices at positions 0..layerTillIndex
        // of the topological order; every vertex before FEATURES there is a backbone vertex.
        this.featuresPosition = positionInTopologicalOrder(member, ModelZoo.FEATURES);
        Set<String> head = headVertices(conf);
        this.featureSize = featureSize(conf, head);
    }

    /**
     * The {@value ModelZoo#FEATURES} activations of {@code images} in inference mode, {@code [N, featureSize()]}.
     * Counts one backbone pass.
     *
     * @param images a batch in the member's input layout ({@code [N, C, H, W]} for Chorus members)
     */
    public INDArray features(INDArray images) {
        Objects.requireNonNull(images, "images");
        if (images.rank() < 2 || images.size(0) < 1) {
            throw new IllegalArgumentException("images must be a non-empty batch, got shape "
                    + java.util.Arrays.toString(images.shape()));
        }
        INDArray features;
        if (compute != null) {
            features = compute.apply(images);
        } else {
            features = member.feedForward(new INDArray[] {images}, featuresPosition, false, true).get(ModelZoo.FEATURES);
        }
        passes++;
        if (features == null || features.rank() != 2 || (compute != null && features.size(1) != featureSize)) {
            throw new IllegalStateException("vertex '" + ModelZoo.FEATURES + "' must output [N, features], got "
                    + (features == null ? "nothing" : java.util.Arrays.toString(features.shape())));
        }
        return features;
    }

    /** Number of {@link #features} calls so far. */
    public long passes() {
        return passes;
    }

    /** Width of the feature vector: the number of inputs of the head's first layer. */
    public long featureSize() {
        return featureSize;
    }

    /**
     * The member's own classifier head as a separate network: input vertex {@value ModelZoo#FEATURES}
     * taking {@code [N, featureSize()]}, then every vertex of the member downstream of
     * {@value ModelZoo#FEATURES}, with the same names, configurations and a copy of the member's trained
     * parameters (batch normalization statistics included). So
     * {@code memberHead().output(features(x))} is {@code member.output(x)}. Changing the head leaves the
     * member untouched and vice versa.
     */
    public ComputationGraph memberHead() {
        ComputationGraphConfiguration conf = member.getConfiguration();
        Set<String> head = headVertices(conf);
        GraphBuilder builder = new NeuralNetConfiguration.Builder()
                .dataType(conf.getDataType())
                .graphBuilder()
                .addInputs(ModelZoo.FEATURES);
        org.deeplearning4j.nn.graph.vertex.GraphVertex[] vertices = member.getVertices();
        for (int index : member.topologicalSortOrder()) {
            String name = vertices[index].getVertexName();
            if (head.contains(name)) {
                List<String> inputs = conf.getVertexInputs().get(name);
                builder.addVertex(name, conf.getVertices().get(name).clone(), inputs.toArray(new String[0]));
            }
        }
        builder.setOutputs(conf.getNetworkOutputs().toArray(new String[0]));
        Engine.ensureHelpers();
        ComputationGraph net = new ComputationGraph(builder.build());
        net.init();
        for (Layer layer : net.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            Map<String, INDArray> trained = member.getLayer(name).paramTable();
            for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
                p.getValue().assign(trained.get(p.getKey()));
            }
        }
        return net;
    }

    private static int positionInTopologicalOrder(ComputationGraph net, String vertex) {
        int[] order = net.topologicalSortOrder();
        for (int position = 0; position < order.length; position++) {
            if (net.getVertices()[order[position]].getVertexName().equals(vertex)) {
                return position;
            }
        }
        throw new IllegalStateException("vertex '" + vertex + "' is not in the topological order");
    }

    /**
     * The vertices downstream of {@value ModelZoo#FEATURES}; checks that they read nothing else of the
     * backbone and that every network output is among them.
     */
    private static Set<String> headVertices(ComputationGraphConfiguration conf) {
        Map<String, List<String>> inputs = conf.getVertexInputs();
        Set<String> head = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(ModelZoo.FEATURES));
        while (!todo.isEmpty()) {
            String from = todo.pop();
            for (Map.Entry<String, List<String>> e : inputs.entrySet()) {
                if (e.getValue().contains(from) && head.add(e.getKey())) {
                    todo.push(e.getKey());
                }
            }
        }
        for (String name : head) {
            for (String in : inputs.get(name)) {
                if (!in.equals(ModelZoo.FEATURES) && !head.contains(in)) {
                    throw new IllegalArgumentException("head vertex '" + name + "' also reads backbone vertex '" + in
                            + "', so '" + ModelZoo.FEATURES + "' is not the only way into the head");
                }
            }
        }
        for (String out : conf.getNetworkOutputs()) {
            if (!head.contains(out)) {
                throw new IllegalArgumentException("network output '" + out + "' does not depend on '"
                        + ModelZoo.FEATURES + "'");
            }
        }
        return head;
    }

    /** The nIn of the layers reading {@value ModelZoo#FEATURES}, which must agree. */
    private static long featureSize(ComputationGraphConfiguration conf, Set<String> head) {
        long size = -1;
        for (String name : head) {
            if (!conf.getVertexInputs().get(name).contains(ModelZoo.FEATURES)) {
                continue;
            }
            GraphVertex v = conf.getVertices().get(name);
            if (!(v instanceof LayerVertex lv) || !(lv.getLayerConf().getLayer() instanceof FeedForwardLayer ff)) {
                throw new IllegalArgumentException("vertex '" + name + "' reads '" + ModelZoo.FEATURES
                        + "' but is not a fully connected layer (" + v.getClass().getSimpleName() + ")");
            }
            if (size >= 0 && size != ff.getNIn()) {
                throw new IllegalArgumentException("layers reading '" + ModelZoo.FEATURES + "' disagree on its width: "
                        + size + " vs " + ff.getNIn() + " at '" + name + "'");
            }
            size = ff.getNIn();
        }
        return size;
    }
}
