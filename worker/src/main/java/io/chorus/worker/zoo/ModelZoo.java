package io.chorus.worker.zoo;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.zoo.GraphAssembler.Node;
import io.chorus.worker.zoo.GraphAssembler.Padding;
import java.util.Locale;
import java.util.Objects;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * The networks an ensemble member can be: classic CNNs scaled to Chorus' small images (8x8 to 32x32,
 * square or not, 1 or 3 channels), all expressed as DL4J {@link ComputationGraph}s so the trainer
 * treats every architecture the same way.
 *
 * <h2>Graph contract</h2>
 * <ul>
 *   <li>one input vertex {@value #INPUT}, taking NCHW FLOAT images of the shape given;</li>
 *   <li>one output layer {@value #OUTPUT}: softmax over {@code numClasses} units, trained with
 *       multi-class cross-entropy;</li>
 *   <li>a vertex {@value #FEATURES} whose output is a {@code [batch, n]} feature vector and which is the
 *       only way into the classifier head (its fully connected layers and the output). Everything up to
 *       and including it is the backbone; the cut is clean so that several heads can later be trained on
 *       one frozen backbone. For LeNet, AlexNet and VGG it is a parameter-free flattening vertex; for
 *       GoogLeNet and ResNet it is the global average pooling layer.</li>
 * </ul>
 *
 * <h2>What depth and width mean</h2>
 * <ul>
 *   <li>{@link Architecture#LENET}: ignores both; the classic conv 5x5x20, max-pool 2, conv 5x5x50,
 *       max-pool 2, dense 500, softmax. Convolutions are valid (28x28 gives exactly 431,080 parameters
 *       for 10 classes) except that a dimension smaller than the kernel is padded to keep its size.</li>
 *   <li>{@link Architecture#ALEXNET}: ignores depth; convolutions 5x5 w, 5x5 2w, 3x3 4w, 3x3 4w, 3x3 2w
 *       (all same-padded, a max-pool 2 after the 1st, 2nd and 5th), dense 512, dense 512, softmax.</li>
 *   <li>{@link Architecture#VGG}: 3 stages of {@code depth} 3x3 same convolutions with w, 2w, 4w
 *       channels, a max-pool 2 after each stage, dense 256, softmax.</li>
 *   <li>{@link Architecture#GOOGLENET}: a 3x3 stem of w channels, then 2 stages of {@code depth}
 *       inception modules with base b = w and 2w (branches 1x1 b; 1x1 3b/2 then 3x3 2b; 1x1 b/4 then
 *       5x5 b/2; 3x3 max-pool then 1x1 b/2; so 4b output channels when b is a multiple of 4), a
 *       max-pool 2 between the stages, global average pooling, softmax.</li>
 *   <li>{@link Architecture#RESNET}: a 3x3 stem of w channels, then 3 stages of {@code depth} residual
 *       blocks with c = w, 2w, 4w (basic: two 3x3 convolutions of c; bottleneck: 1x1 c, 3x3 c, 1x1 4c),
 *       global average pooling, softmax. Stages 2 and 3 halve the map in their first block (only in a
 *       dimension that is at least 2); a 1x1 projection (followed by BN when on) carries the shortcut
 *       whenever a block changes the shape. Depth 2, width 16, basic, batchnorm on is the small ResNet
 *       that Chorus benchmarks.</li>
 * </ul>
 * Every max-pool 2 is applied per dimension: a dimension smaller than 2 is left alone, and when both
 * are the pooling layer is skipped, so any image from 1x1 up still gets a valid graph.
 *
 * <h2>Member options</h2>
 * <ul>
 *   <li>init: XAVIER is Glorot normal, HE is He normal (DL4J's {@code WeightInit.RELU}, variance
 *       2/fan_in), NORMAL is N(0, initSigma&sup2;); it applies to every weight, biases start at 0;</li>
 *   <li>activation: ReLU, leaky ReLU (slope 0.01) or ELU, for every hidden unit;</li>
 *   <li>batchnorm: every convolution and hidden dense layer becomes {@code layer(identity, no bias) ->
 *       BatchNormalization -> activation}; the layer bias is dropped because BN cancels it;</li>
 *   <li>dropout (probability of dropping): applied to the input of every fully connected layer after
 *       the first one of the head, i.e. after each hidden dense layer; when the head is only the output
 *       layer (GoogLeNet, ResNet) to the output layer's input. DL4J's {@code Dropout} takes the retain
 *       probability, hence {@code new Dropout(1 - dropout)}. Convolutions never get dropout.</li>
 *   <li>L2 applies to weights only (not biases, not BN's gamma/beta).</li>
 * </ul>
 *
 * <p>The configuration is a pure function of its arguments, so a member rebuilt from its spec and seed
 * (for example on another executor) starts from exactly the same weights.
 */
public final class ModelZoo {

    /** Name of the input vertex. */
    public static final String INPUT = "input";
    /** Name of the output layer. */
    public static final String OUTPUT = "output";
    /** Name of the vertex feeding the classifier head: the backbone's output. */
    public static final String FEATURES = "features";

    /** Largest image side the zoo accepts; larger images are certainly a misread data set. */
    public static final int MAX_IMAGE_SIDE = 4096;

    private static final double LEAKY_RELU_SLOPE = 0.01;
    private static final int LENET_CONV1 = 20;
    private static final int LENET_CONV2 = 50;
    private static final int LENET_DENSE = 500;
    private static final int ALEXNET_DENSE = 512;
    private static final int VGG_DENSE = 256;
    private static final int VGG_STAGES = 3;
    private static final int GOOGLENET_STAGES = 2;
    private static final int RESNET_STAGES = 3;
    private static final int BOTTLENECK_EXPANSION = 4;

    private ModelZoo() {
    }

    /**
     * Network configuration for images of the given shape (NCHW, FLOAT). Input vertex {@value #INPUT},
     * output layer {@value #OUTPUT} (softmax + multi-class cross-entropy, {@code numClasses} units). The
     * vertex feeding the first fully connected layer is named {@value #FEATURES}: everything after it is
     * the classifier head.
     *
     * @param spec       the member's network; validated here (see the class documentation)
     * @param input      shape of one image, each side 1..{@value #MAX_IMAGE_SIDE}
     * @param numClasses number of classes, at least 2
     * @param seed       seed of the weight initialization (and of dropout masks)
     * @param updater    optimizer of every layer
     * @param l2         L2 coefficient on weights (not biases), at least 0
     * @throws IllegalArgumentException naming the offending field and value
     */
    public static ComputationGraphConfiguration configure(ModelSpec spec, ImageShape input, int numClasses,
                                                          long seed, IUpdater updater, double l2) {
        validate(spec, input, numClasses, updater, l2);

        GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                // Keeps each layer's forward output for its backward pass instead of recomputing it:
                // measured 5-20% faster for LeNet and about 30% for the small ResNet (bench/engine-knobs).
                .cacheMode(CacheMode.DEVICE)
                .updater(updater)
                .l2(l2)
                .weightInit(weightInit(spec))
                // Every layer that needs a nonlinearity sets it explicitly; the default must not be
                // DL4J's sigmoid leaking into pooling or normalization layers.
                .activation(Activation.IDENTITY)
                .convolutionMode(ConvolutionMode.Truncate)
                .graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.convolutional(input.height(), input.width(), input.channels(),
                        CNN2DFormat.NCHW));

        GraphAssembler g = new GraphAssembler(graph, activation(spec.activation()), spec.batchnorm());
        Node in = Node.image(INPUT, input.channels(), input.height(), input.width());
        switch (spec.arch()) {
            case LENET -> lenet(g, in, numClasses, spec.dropout());
            case ALEXNET -> alexnet(g, in, numClasses, spec);
            case VGG -> vgg(g, in, numClasses, spec);
            case GOOGLENET -> googlenet(g, in, numClasses, spec);
            case RESNET -> resnet(g, in, numClasses, spec);
            default -> throw new IllegalArgumentException("spec.arch: unsupported architecture " + spec.arch());
        }
        return graph.setOutputs(OUTPUT).build();
    }

    /** {@link #configure} then {@code new ComputationGraph(conf).init()}. */
    public static ComputationGraph build(ModelSpec spec, ImageShape input, int numClasses, long seed,
                                         IUpdater updater, double l2) {
        io.chorus.worker.engine.Engine.ensureHelpers();
        ComputationGraph net = new ComputationGraph(configure(spec, input, numClasses, seed, updater, l2));
        net.init();
        return net;
    }

    /**
     * One-line, architecture-agnostic summary for logs, e.g. {@code "12 layers, 431,080 parameters"}.
     * The parameter count is {@link ComputationGraph#numParams()}, which includes BN's running mean and
     * variance (DL4J stores them as parameters although no gradient updates them).
     */
    public static String describe(ComputationGraph net) {
        Objects.requireNonNull(net, "net");
        return String.format(Locale.ROOT, "%d layers, %,d parameters", net.getLayers().length, net.numParams());
    }

    // ---------------------------------------------------------------------------------------------
    // Architectures

    private static void lenet(GraphAssembler g, Node in, int numClasses, double dropout) {
        Node x = g.conv("conv1", in, 5, LENET_CONV1, Padding.VALID_UNLESS_TOO_SMALL);
        x = g.maxPool2("pool1", x);
        x = g.conv("conv2", x, 5, LENET_CONV2, Padding.VALID_UNLESS_TOO_SMALL);
        x = g.maxPool2("pool2", x);
        Node features = g.flatten(FEATURES, x);
        Node fc = g.dense("fc1", features, LENET_DENSE, 0);
        g.output(OUTPUT, fc, numClasses, dropout);
    }

    private static void alexnet(GraphAssembler g, Node in, int numClasses, ModelSpec spec) {
        int w = spec.width();
        Node x = g.conv("conv1", in, 5, w, Padding.SAME);
        x = g.maxPool2("pool1", x);
        x = g.conv("conv2", x, 5, 2 * w, Padding.SAME);
        x = g.maxPool2("pool2", x);
        x = g.conv("conv3", x, 3, 4 * w, Padding.SAME);
        x = g.conv("conv4", x, 3, 4 * w, Padding.SAME);
        x = g.conv("conv5", x, 3, 2 * w, Padding.SAME);
        x = g.maxPool2("pool3", x);
        Node features = g.flatten(FEATURES, x);
        Node fc = g.dense("fc1", features, ALEXNET_DENSE, 0);
        fc = g.dense("fc2", fc, ALEXNET_DENSE, spec.dropout());
        g.output(OUTPUT, fc, numClasses, spec.dropout());
    }

    private static void vgg(GraphAssembler g, Node in, int numClasses, ModelSpec spec) {
        Node x = in;
        for (int stage = 1; stage <= VGG_STAGES; stage++) {
            int channels = spec.width() << (stage - 1);
            for (int i = 1; i <= spec.depth(); i++) {
                x = g.conv("s" + stage + "_conv" + i, x, 3, channels, Padding.SAME);
            }
            x = g.maxPool2("s" + stage + "_pool", x);
        }
        Node features = g.flatten(FEATURES, x);
        Node fc = g.dense("fc1", features, VGG_DENSE, 0);
        g.output(OUTPUT, fc, numClasses, spec.dropout());
    }

    private static void googlenet(GraphAssembler g, Node in, int numClasses, ModelSpec spec) {
        Node x = g.conv("stem", in, 3, spec.width(), Padding.SAME);
        for (int stage = 1; stage <= GOOGLENET_STAGES; stage++) {
            if (stage > 1) {
                x = g.maxPool2("s" + stage + "_pool", x);
            }
            int base = spec.width() << (stage - 1);
            for (int m = 1; m <= spec.depth(); m++) {
                x = inception(g, "s" + stage + "_inc" + m, x, base);
            }
        }
        Node features = g.globalAvgPool(FEATURES, x);
        g.output(OUTPUT, features, numClasses, spec.dropout());
    }

    /**
     * One inception module. The branch widths keep GoogLeNet's proportions (inception 3a is 64 / 96->128
     * / 16->32 / 32 for base 64), rounded to whole channels and never below one.
     */
    private static Node inception(GraphAssembler g, String name, Node x, int base) {
        Node b1 = g.conv(name + "_1x1", x, 1, base, Padding.SAME);
        Node b3 = g.conv(name + "_3x3r", x, 1, Math.max(1, 3 * base / 2), Padding.SAME);
        b3 = g.conv(name + "_3x3", b3, 3, 2 * base, Padding.SAME);
        Node b5 = g.conv(name + "_5x5r", x, 1, Math.max(1, base / 4), Padding.SAME);
        b5 = g.conv(name + "_5x5", b5, 5, Math.max(1, base / 2), Padding.SAME);
        Node bp = g.maxPool3Same(name + "_pool", x);
        bp = g.conv(name + "_poolproj", bp, 1, Math.max(1, base / 2), Padding.SAME);
        return g.merge(name, b1, b3, b5, bp);
    }

    private static void resnet(GraphAssembler g, Node in, int numClasses, ModelSpec spec) {
        boolean bottleneck = spec.block() == BlockKind.BOTTLENECK;
        Node x = g.conv("stem", in, 3, spec.width(), Padding.SAME);
        for (int stage = 1; stage <= RESNET_STAGES; stage++) {
            int inner = spec.width() << (stage - 1);
            for (int b = 1; b <= spec.depth(); b++) {
                boolean downsample = stage > 1 && b == 1;
                int strideH = downsample && x.height() >= 2 ? 2 : 1;
                int strideW = downsample && x.width() >= 2 ? 2 : 1;
                String name = "s" + stage + "_b" + b;
                x = bottleneck
                        ? bottleneckBlock(g, name, x, inner, strideH, strideW)
                        : basicBlock(g, name, x, inner, strideH, strideW);
            }
        }
        Node features = g.globalAvgPool(FEATURES, x);
        g.output(OUTPUT, features, numClasses, spec.dropout());
    }

    private static Node basicBlock(GraphAssembler g, String name, Node x, int channels, int strideH, int strideW) {
        Node r = g.conv(name + "_conv1", x, 3, strideH, strideW, channels, Padding.SAME, true);
        r = g.conv(name + "_conv2", r, 3, 1, 1, channels, Padding.SAME, false);
        return residual(g, name, x, r, strideH, strideW);
    }

    /** ResNet v1.5 bottleneck: the stride sits on the 3x3 convolution, not on the first 1x1. */
    private static Node bottleneckBlock(GraphAssembler g, String name, Node x, int inner, int strideH,
                                        int strideW) {
        Node r = g.conv(name + "_conv1", x, 1, 1, 1, inner, Padding.SAME, true);
        r = g.conv(name + "_conv2", r, 3, strideH, strideW, inner, Padding.SAME, true);
        r = g.conv(name + "_conv3", r, 1, 1, 1, BOTTLENECK_EXPANSION * inner, Padding.SAME, false);
        return residual(g, name, x, r, strideH, strideW);
    }

    /** Adds the shortcut (identity, or a 1x1 projection when the shape changes) and activates the sum. */
    private static Node residual(GraphAssembler g, String name, Node x, Node branch, int strideH, int strideW) {
        Node shortcut = x;
        if (strideH != 1 || strideW != 1 || x.channels() != branch.channels()) {
            shortcut = g.conv(name + "_proj", x, 1, strideH, strideW, branch.channels(), Padding.SAME, false);
        }
        return g.activation(name + "_act", g.add(name + "_add", branch, shortcut));
    }

    // ---------------------------------------------------------------------------------------------
    // Options

    private static IWeightInit weightInit(ModelSpec spec) {
        return switch (spec.init()) {
            case XAVIER -> WeightInit.XAVIER.getWeightInitFunction();
            case HE -> WeightInit.RELU.getWeightInitFunction();
            case NORMAL -> new WeightInitDistribution(new NormalDistribution(0, spec.initSigma()));
        };
    }

    private static IActivation activation(ActivationKind kind) {
        return switch (kind) {
            case RELU -> new ActivationReLU();
            case LEAKYRELU -> new ActivationLReLU(LEAKY_RELU_SLOPE);
            case ELU -> Activation.ELU.getActivationFunction();
        };
    }

    /**
     * Rejects arguments no network can be built from, before DL4J turns them into an obscure failure deep
     * in shape inference (or, worse, silently into a useless member: dropout 1 drops every unit).
     */
    static void validate(ModelSpec spec, ImageShape input, int numClasses, IUpdater updater, double l2) {
        Objects.requireNonNull(spec, "spec must not be null");
        Objects.requireNonNull(input, "input must not be null");
        Objects.requireNonNull(updater, "updater must not be null");
        if (spec.arch() == null) {
            throw new IllegalArgumentException("spec.arch must be set, got null");
        }
        if (spec.init() == null) {
            throw new IllegalArgumentException("spec.init must be set, got null");
        }
        if (spec.activation() == null) {
            throw new IllegalArgumentException("spec.activation must be set, got null");
        }
        if (spec.arch() == Architecture.RESNET && spec.block() == null) {
            throw new IllegalArgumentException("spec.block must be set for resnet, got null");
        }
        if (spec.init() == WeightInitKind.NORMAL && !(spec.initSigma() > 0 && Double.isFinite(spec.initSigma()))) {
            throw new IllegalArgumentException(
                    "spec.initSigma must be a finite value > 0 for init normal, got " + spec.initSigma());
        }
        if (!(spec.dropout() >= 0 && spec.dropout() < 1)) {
            throw new IllegalArgumentException(
                    "spec.dropout (probability of dropping a unit) must be in [0, 1), got " + spec.dropout());
        }
        if (spec.depth() < 1) {
            throw new IllegalArgumentException("spec.depth must be >= 1, got " + spec.depth());
        }
        if (spec.width() < 1) {
            throw new IllegalArgumentException("spec.width must be >= 1, got " + spec.width());
        }
        if (numClasses < 2) {
            throw new IllegalArgumentException("numClasses must be >= 2, got " + numClasses);
        }
        if (input.height() > MAX_IMAGE_SIDE) {
            throw new IllegalArgumentException(
                    "input.height must be in [1, " + MAX_IMAGE_SIDE + "], got " + input.height());
        }
        if (input.width() > MAX_IMAGE_SIDE) {
            throw new IllegalArgumentException(
                    "input.width must be in [1, " + MAX_IMAGE_SIDE + "], got " + input.width());
        }
        if (!(l2 >= 0 && Double.isFinite(l2))) {
            throw new IllegalArgumentException("l2 must be a finite value >= 0, got " + l2);
        }
    }
}
