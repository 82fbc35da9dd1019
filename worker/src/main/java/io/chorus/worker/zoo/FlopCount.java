package io.chorus.worker.zoo;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;

import java.util.List;
import java.util.Map;

/**
 * Floating-point operations of one image through a network, counting the multiply-adds of convolutions
 * and fully connected layers (2 FLOP each); pooling, normalization and activations are a few percent and
 * are left out, as is usual for GFLOP/s figures.
 *
 * <p>Training costs the forward pass, the gradient of the weights (as many multiply-adds again) and the
 * gradient of each layer's input (as many again), except for the first layer, whose input gradient no
 * one needs. For LeNet on 28x28x1 that is 4.58 MFLOP forward and 13.16 MFLOP per training image.
 *
 * @param forward        FLOP of one image's forward pass
 * @param firstLayer     FLOP of the forward pass of the layers reading the network input directly
 */
public record FlopCount(double forward, double firstLayer) {

    /** FLOP of one training image: forward, weight gradients, input gradients except the first layer's. */
    public double training() {
        return 3 * forward - firstLayer;
    }

    /** Counts the FLOP of a network configuration for inputs of the given type. */
    public static FlopCount of(ComputationGraphConfiguration conf, InputType input) {
        Map<String, InputType> out = conf.getLayerActivationTypes(input);
        String inputName = conf.getNetworkInputs().get(0);
        double forward = 0;
        double first = 0;
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            if (!(e.getValue() instanceof LayerVertex lv)) {
                continue;
            }
            List<String> inputs = conf.getVertexInputs().get(e.getKey());
            InputType in = inputs.get(0).equals(inputName) ? input : out.get(inputs.get(0));
            double f = layerFlop(lv.getLayerConf().getLayer(), in, out.get(e.getKey()));
            forward += f;
            if (inputs.get(0).equals(inputName)) {
                first += f;
            }
        }
        return new FlopCount(forward, first);
    }

    private static double layerFlop(Layer layer, InputType in, InputType out) {
        if (layer instanceof ConvolutionLayer conv && out instanceof InputType.InputTypeConvolutional o) {
            int[] k = conv.getKernelSize();
            long macs = (long) o.getHeight() * o.getWidth() * o.getChannels() * conv.getNIn() * k[0] * k[1];
            return 2.0 * macs;
        }
        if (layer instanceof DenseLayer d) {
            return 2.0 * d.getNIn() * d.getNOut();
        }
        if (layer instanceof BaseOutputLayer o) {
            return 2.0 * o.getNIn() * o.getNOut();
        }
        return 0;
    }
}
