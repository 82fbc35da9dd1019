package io.chorus.worker.zoo;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Adds Chorus' building blocks (convolution units, pooling, inception and residual plumbing, the
 * classifier head) to a DL4J graph while tracking the shape of every tensor it produces.
 *
 * <p>Why track shapes ourselves when DL4J infers them: the zoo must scale each classic network down to
 * inputs as small as 8x8, and the decisions that make that possible (pad a convolution whose input is
 * smaller than its kernel, skip or narrow a pooling layer whose input is smaller than 2, fall back to
 * stride 1 on a 1-pixel map) must be taken while the graph is being written, one dimension at a time.
 *
 * <p>Every convolution unit honours the member's options in one place, so all architectures agree:
 * with batch normalization the unit is {@code conv(identity, no bias) -> BN -> activation}; without it,
 * the convolution carries bias and activation itself. The convolution bias is dropped under BN because
 * BN subtracts the per-channel mean (cancelling any bias) and its own beta takes over the bias's role;
 * keeping it would only add dead parameters.
 */
final class GraphAssembler {

    /** A tensor in the graph: the vertex producing it and its NCHW shape (flat tensors have height = width = 1). */
    record Node(String name, int channels, int height, int width, boolean flat) {
        static Node image(String name, int channels, int height, int width) {
            return new Node(name, channels, height, width, false);
        }

        Node withName(String newName) {
            return new Node(newName, channels, height, width, flat);
        }

        /** Number of values per example. */
        long size() {
            return (long) channels * height * width;
        }
    }

    /** How a convolution treats the border. */
    enum Padding {
        /** Output keeps the input size (ceil(input / stride)): DL4J's {@link ConvolutionMode#Same}. */
        SAME,
        /**
         * Valid (unpadded) convolution, except that a dimension smaller than the kernel is padded so that
         * it keeps its size: the classic LeNet arithmetic on 28x28 while still fitting an 8x8 image.
         */
        VALID_UNLESS_TOO_SMALL
    }

    private final GraphBuilder graph;
    private final IActivation activation;
    private final boolean batchnorm;

    GraphAssembler(GraphBuilder graph, IActivation activation, boolean batchnorm) {
        this.graph = graph;
        this.activation = activation;
        this.batchnorm = batchnorm;
    }

    /** A stride-1 square-kernel convolution unit, followed by BN (when on) and the activation. */
    Node conv(String name, Node in, int kernel, int nOut, Padding padding) {
        return conv(name, in, kernel, 1, 1, nOut, padding, true);
    }

    /**
     * A convolution unit.
     *
     * @param strideH  vertical stride
     * @param strideW  horizontal stride
     * @param activate false leaves the result linear (convolution, then BN when on), for the last
     *                 convolution of a residual branch and for projection shortcuts: their sum is
     *                 activated after the addition
     * @return the unit's output (the activation, the BN, or the convolution itself)
     */
    Node conv(String name, Node in, int kernel, int strideH, int strideW, int nOut, Padding padding,
              boolean activate) {
        requireImage(name, in);
        ConvolutionLayer.Builder conv = new ConvolutionLayer.Builder(kernel, kernel)
                .stride(strideH, strideW)
                .nOut(nOut)
                .hasBias(!batchnorm)
                .activation(batchnorm || !activate ? Activation.IDENTITY.getActivationFunction() : activation)
                .dataFormat(CNN2DFormat.NCHW);
        int outH;
        int outW;
        if (padding == Padding.SAME) {
            conv.convolutionMode(ConvolutionMode.Same);
            outH = ceilDiv(in.height(), strideH);
            outW = ceilDiv(in.width(), strideW);
        } else {
            if (strideH != 1 || strideW != 1 || kernel % 2 == 0) {
                // The "keep the size" padding below is exact only for odd kernels at stride 1.
                throw new IllegalArgumentException("VALID_UNLESS_TOO_SMALL needs an odd kernel and stride 1, got "
                        + kernel + " / " + strideH + "x" + strideW + " at " + name);
            }
            boolean padH = in.height() < kernel;
            boolean padW = in.width() < kernel;
            if (padH && padW) {
                conv.convolutionMode(ConvolutionMode.Same);
            } else {
                conv.convolutionMode(ConvolutionMode.Truncate)
                        .padding(padH ? (kernel - 1) / 2 : 0, padW ? (kernel - 1) / 2 : 0);
            }
            outH = padH ? in.height() : in.height() - kernel + 1;
            outW = padW ? in.width() : in.width() - kernel + 1;
        }
        graph.addLayer(name, conv.build(), in.name());
        Node out = Node.image(name, nOut, outH, outW);
        if (batchnorm) {
            out = batchNorm(name + "_bn", out);
        }
        return activate && batchnorm ? activation(name + "_act", out) : out;
    }

    /**
     * Max pooling 2x2 stride 2, applied per dimension: a dimension smaller than 2 is pooled with extent
     * and stride 1 (left alone), and when both are, the layer is skipped and the input returned.
     */
    Node maxPool2(String name, Node in) {
        requireImage(name, in);
        int kH = in.height() >= 2 ? 2 : 1;
        int kW = in.width() >= 2 ? 2 : 1;
        if (kH == 1 && kW == 1) {
            return in;
        }
        graph.addLayer(name, new SubsamplingLayer.Builder(PoolingType.MAX)
                .kernelSize(kH, kW)
                .stride(kH, kW)
                .convolutionMode(ConvolutionMode.Truncate)
                .dataFormat(CNN2DFormat.NCHW)
                .build(), in.name());
        return Node.image(name, in.channels(), in.height() / kH, in.width() / kW);
    }

    /** Max pooling 3x3 stride 1 with same padding: the pooling branch of an inception module. */
    Node maxPool3Same(String name, Node in) {
        requireImage(name, in);
        graph.addLayer(name, new SubsamplingLayer.Builder(PoolingType.MAX)
                .kernelSize(3, 3)
                .stride(1, 1)
                .convolutionMode(ConvolutionMode.Same)
                .dataFormat(CNN2DFormat.NCHW)
                .build(), in.name());
        return in.withName(name);
    }

    /** Channel-wise concatenation of same-sized maps (the end of an inception module). */
    Node merge(String name, Node... ins) {
        int channels = 0;
        String[] names = new String[ins.length];
        for (int i = 0; i < ins.length; i++) {
            requireSameSize(name, ins[0], ins[i]);
            channels += ins[i].channels();
            names[i] = ins[i].name();
        }
        graph.addVertex(name, new MergeVertex(), names);
        return Node.image(name, channels, ins[0].height(), ins[0].width());
    }

    /** Element-wise sum of a residual branch and its shortcut (the sum is not activated here). */
    Node add(String name, Node a, Node b) {
        requireSameSize(name, a, b);
        if (a.channels() != b.channels()) {
            throw new IllegalStateException("cannot add " + a + " and " + b + " at " + name);
        }
        graph.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Add), a.name(), b.name());
        return a.withName(name);
    }

    /** The member's nonlinearity as a layer of its own. */
    Node activation(String name, Node in) {
        graph.addLayer(name, new ActivationLayer.Builder().activation(activation).build(), in.name());
        return in.withName(name);
    }

    private Node batchNorm(String name, Node in) {
        BatchNormalization.Builder bn = new BatchNormalization.Builder();
        bn.activation(Activation.IDENTITY);
        if (!in.flat()) {
            bn.dataFormat(CNN2DFormat.NCHW);
        }
        graph.addLayer(name, bn.build(), in.name());
        return in.withName(name);
    }

    /**
     * Flattens a feature map to a vector, in its own parameter-free vertex, so that the vertex feeding
     * the classifier head always outputs {@code [batch, features]} whichever backbone produced it.
     */
    Node flatten(String name, Node in) {
        requireImage(name, in);
        graph.addVertex(name, new PreprocessorVertex(
                new CnnToFeedForwardPreProcessor(in.height(), in.width(), in.channels(), CNN2DFormat.NCHW)),
                in.name());
        return new Node(name, Math.toIntExact(in.size()), 1, 1, true);
    }

    /** Global average pooling to a {@code [batch, channels]} vector. */
    Node globalAvgPool(String name, Node in) {
        requireImage(name, in);
        graph.addLayer(name, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), in.name());
        return new Node(name, in.channels(), 1, 1, true);
    }

    /**
     * A hidden fully connected unit: dense (with activation and bias), or {@code dense(identity, no bias)
     * -> BN -> activation} when batch normalization is on.
     *
     * @param dropRate probability of dropping each input unit during training (0 = none)
     */
    Node dense(String name, Node in, int nOut, double dropRate) {
        requireFlat(name, in);
        DenseLayer.Builder dense = new DenseLayer.Builder()
                .nOut(nOut)
                .hasBias(!batchnorm)
                .activation(batchnorm ? Activation.IDENTITY.getActivationFunction() : activation);
        if (dropRate > 0) {
            dense.dropOut(new Dropout(1 - dropRate));
        }
        graph.addLayer(name, dense.build(), in.name());
        Node out = new Node(name, nOut, 1, 1, true);
        if (batchnorm) {
            out = activation(name + "_act", batchNorm(name + "_bn", out));
        }
        return out;
    }

    /** The softmax output layer trained with multi-class cross-entropy. */
    void output(String name, Node in, int numClasses, double dropRate) {
        requireFlat(name, in);
        OutputLayer.Builder out = new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(numClasses)
                .activation(Activation.SOFTMAX);
        if (dropRate > 0) {
            out.dropOut(new Dropout(1 - dropRate));
        }
        graph.addLayer(name, out.build(), in.name());
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static void requireImage(String at, Node in) {
        if (in.flat()) {
            throw new IllegalStateException("expected a feature map, got flat " + in + " at " + at);
        }
    }

    private static void requireFlat(String at, Node in) {
        if (!in.flat()) {
            throw new IllegalStateException("expected a flat vector, got " + in + " at " + at);
        }
    }

    private static void requireSameSize(String at, Node a, Node b) {
        if (a.height() != b.height() || a.width() != b.width()) {
            throw new IllegalStateException("spatial sizes differ: " + a + " vs " + b + " at " + at);
        }
    }
}
