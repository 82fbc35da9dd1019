package io.chorus.ensemble.heads;

import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;

/** Checks that a head network can consume a backbone's features. */
final class HeadChecks {

    private HeadChecks() {
    }

    /**
     * Requires one input and one output, and every layer reading the input to be fully connected with
     * {@code featureSize} inputs.
     *
     * @throws IllegalArgumentException naming {@code what} and the mismatch
     */
    static void requireFits(ComputationGraph head, long featureSize, String what) {
        ComputationGraphConfiguration conf = head.getConfiguration();
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            throw new IllegalArgumentException(what + " must have one input and one output, has inputs "
                    + conf.getNetworkInputs() + " and outputs " + conf.getNetworkOutputs());
        }
        String input = conf.getNetworkInputs().get(0);
        for (var e : conf.getVertexInputs().entrySet()) {
            List<String> inputs = e.getValue();
            if (!inputs.contains(input)) {
                continue;
            }
            GraphVertex v = conf.getVertices().get(e.getKey());
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof FeedForwardLayer ff
                    && ff.getNIn() != featureSize) {
                throw new IllegalArgumentException(what + ": layer '" + e.getKey() + "' takes " + ff.getNIn()
                        + " inputs but the backbone gives " + featureSize + " features");
            }
        }
    }
}
