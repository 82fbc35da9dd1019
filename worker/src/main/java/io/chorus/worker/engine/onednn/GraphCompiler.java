package io.chorus.worker.engine.onednn;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * Turns a DL4J ComputationGraph of the kinds the model zoo builds into a {@link CompiledGraph}: every
 * vertex becomes an op or, for parameter-free reshapes, an alias of its input. Shapes come from DL4J's own
 * shape inference; padding is DL4J's (in "same" mode the extra row or column goes bottom/right). Anything
 * else, or any option whose semantics the engine does not reproduce, is refused with an
 * {@link UnsupportedGraphException} naming the vertex.
 */
final class GraphCompiler {
    private final ComputationGraph net;
    private final ParameterStore params;
    private final Map<String, String> alias = new HashMap<>();
    private final Map<String, InputType> types;
    private final ComputationGraphConfiguration conf;

    private GraphCompiler(ComputationGraph net, ParameterStore params, InputType input) {
        this.net = net;
        this.params = params;
        this.conf = net.getConfiguration();
        this.types = new HashMap<>(conf.getLayerActivationTypes(input));
        this.types.putIfAbsent(conf.getNetworkInputs().get(0), input);
    }

    static CompiledGraph compile(ComputationGraph net, ParameterStore params, long channels, long height, long width) {
        ComputationGraphConfiguration conf = net.getConfiguration();
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            throw new UnsupportedGraphException("the graph", "needs exactly one input and one output, has "
                    + conf.getNetworkInputs() + " / " + conf.getNetworkOutputs());
        }
        InputType in = InputType.convolutional(height, width, channels, CNN2DFormat.NCHW);
        return new GraphCompiler(net, params, in).run(new long[] {channels, height, width});
    }

    private CompiledGraph run(long[] chw) {
        String input = conf.getNetworkInputs().get(0);
        List<Op> ops = new ArrayList<>();
        Set<String> withParams = new LinkedHashSet<>();
        int classes = -1;
        for (String name : conf.getTopologicalOrderStr()) {
            if (name.equals(input)) {
                continue;
            }
            GraphVertex v = conf.getVertices().get(name);
            List<String> ins = new ArrayList<>();
            for (String i : conf.getVertexInputs().get(name)) {
                ins.add(resolve(i));
            }
            if (v instanceof PreprocessorVertex p) {
                requireFlatten(name, p.getPreProcessor());
                alias.put(name, single(name, ins));
                continue;
            }
            if (v instanceof ElementWiseVertex e) {
                if (e.getOp() != ElementWiseVertex.Op.Add || ins.size() != 2) {
                    throw new UnsupportedGraphException(name, "only the element-wise Add of two inputs is supported, got "
                            + e.getOp() + " of " + ins.size());
                }
                ops.add(new AddOp(name, ins.get(0), ins.get(1)));
                continue;
            }
            if (v instanceof MergeVertex m) {
                if (m.getMergeAxis() != 1) {
                    throw new UnsupportedGraphException(name, "merge along axis " + m.getMergeAxis() + " (only channels)");
                }
                for (String i : ins) {
                    if (!(typeOf(i) instanceof InputType.InputTypeConvolutional)) {
                        throw new UnsupportedGraphException(name, "merge of non-image input " + i);
                    }
                }
                ops.add(new ConcatOp(name, List.copyOf(ins)));
                continue;
            }
            if (!(v instanceof LayerVertex lv)) {
                throw new UnsupportedGraphException(name, "vertex kind " + v.getClass().getSimpleName() + " is not supported");
            }
            if (lv.getPreProcessor() != null) {
                requireFlatten(name, lv.getPreProcessor());
            }
            Layer layer = lv.getLayerConf().getLayer();
            String x = single(name, ins);
            checkCommon(name, layer);
            Op op = layerOp(name, layer, x);
            if (op instanceof InnerProductOp ip && ip.isOutput()) {
                classes = ip.outputs();
                if (!name.equals(conf.getNetworkOutputs().get(0))) {
                    throw new UnsupportedGraphException(name, "output layer is not the network's output");
                }
            }
            if (!net.getLayer(name).paramTable().isEmpty()) {
                withParams.add(name);
            }
            ops.add(op);
        }
        if (classes < 0) {
            throw new UnsupportedGraphException(conf.getNetworkOutputs().get(0), "the network output is not an OutputLayer");
        }
        return new CompiledGraph(input, chw, fuseActivations(ops), withParams, classes, Map.copyOf(alias));
    }

    /**
     * An activation layer that alone reads a batch normalization (the zoo's conv -> BN -> ReLU) or an add
     * (a residual join) becomes part of that op: one pass over the activations less forward and
     * backward. Batch normalization fuses only a plain ReLU (all oneDNN offers); an add takes any
     * activation as a post-op.
     */
    private static List<Op> fuseActivations(List<Op> ops) {
        Map<String, Integer> readers = new HashMap<>();
        for (Op op : ops) {
            for (String in : op.inputs()) {
                readers.merge(in, 1, Integer::sum);
            }
        }
        Map<String, ActivationOp> soleReader = new HashMap<>();
        for (Op op : ops) {
            if (op instanceof ActivationOp a && readers.get(a.input()) == 1) {
                soleReader.put(a.input(), a);
            }
        }
        List<Op> out = new ArrayList<>();
        Set<String> fused = new java.util.HashSet<>();
        for (Op op : ops) {
            ActivationOp act = soleReader.get(op.output());
            Op merged = null;
            if (act != null && op instanceof BatchNormOp bn && act.activation().isPlainRelu()) {
                merged = bn.withRelu(act.name());
            } else if (act != null && op instanceof AddOp add) {
                merged = add.withActivation(act.name(), act.activation());
            }
            if (merged != null) {
                out.add(merged);
                fused.add(act.name());
            } else if (!fused.contains(op.name())) {
                out.add(op);
            }
        }
        return List.copyOf(out);
    }

    private Op layerOp(String name, Layer layer, String x) {
        if (layer instanceof ConvolutionLayer c && c.getClass() == ConvolutionLayer.class) {
            requireNoDropout(name, layer);
            requireNchw(name, c.getCnn2dDataFormat());
            requireNoDilation(name, c.getDilation());
            var in = image(name, x);
            var out = image(name, name);
            long[][] pad = padding(name, c.getConvolutionMode(), in, out, c.getKernelSize(), c.getStride(), c.getPadding());
            return new ConvOp(name, x, Math.toIntExact(c.getNOut()), longs(c.getKernelSize()), longs(c.getStride()),
                    pad[0], pad[1], out.getHeight(), out.getWidth(), params.param(name, "W"),
                    c.hasBias() ? params.param(name, "b") : null, Eltwise.of(c.getActivationFn(), name));
        }
        if (layer instanceof SubsamplingLayer s && s.getClass() == SubsamplingLayer.class) {
            requireNoDropout(name, layer);
            requireNchw(name, s.getCnn2dDataFormat());
            requireNoDilation(name, s.getDilation());
            if (s.getPoolingType() != PoolingType.MAX) {
                throw new UnsupportedGraphException(name, "pooling " + s.getPoolingType() + " (only MAX)");
            }
            var in = image(name, x);
            var out = image(name, name);
            long[][] pad = padding(name, s.getConvolutionMode(), in, out, s.getKernelSize(), s.getStride(), s.getPadding());
            return new PoolingOp(name, x, true, longs(s.getKernelSize()), longs(s.getStride()), pad[0], pad[1],
                    out.getHeight(), out.getWidth());
        }
        if (layer instanceof BatchNormalization bn) {
            requireNoDropout(name, layer);
            if (bn.isLockGammaBeta() || !bn.isMinibatch()) {
                throw new UnsupportedGraphException(name, "batch normalization with locked gamma/beta or without minibatch statistics");
            }
            if (typeOf(x) instanceof InputType.InputTypeConvolutional) {
                requireNchw(name, bn.getCnn2DFormat());
            }
            if (Eltwise.of(bn.getActivationFn(), name) != null) {
                throw new UnsupportedGraphException(name, "batch normalization with an activation of its own");
            }
            String spread = bn.isUseLogStd() ? "log10stdev" : "var";
            return new BatchNormOp(name, x, params.param(name, "gamma"), params.param(name, "beta"),
                    params.param(name, "mean"), params.param(name, spread), bn.isUseLogStd(), (float) bn.getEps(),
                    bn.getDecay(), null);
        }
        if (layer instanceof ActivationLayer a) {
            requireNoDropout(name, layer);
            Eltwise e = Eltwise.of(a.getActivationFn(), name);
            if (e == null) {
                throw new UnsupportedGraphException(name, "identity activation layer");
            }
            return new ActivationOp(name, x, e);
        }
        if (layer instanceof GlobalPoolingLayer g) {
            requireNoDropout(name, layer);
            if (g.getPoolingType() != PoolingType.AVG || !g.isCollapseDimensions()) {
                throw new UnsupportedGraphException(name, "global pooling " + g.getPoolingType() + " (only collapsed AVG)");
            }
            int[] dims = g.getPoolingDimensions();
            if (dims != null && !(dims.length == 2 && dims[0] == 2 && dims[1] == 3)) {
                throw new UnsupportedGraphException(name, "global pooling over dimensions " + java.util.Arrays.toString(dims));
            }
            var in = image(name, x);
            return PoolingOp.globalAverage(name, x, in.getHeight(), in.getWidth());
        }
        if (layer instanceof OutputLayer o) {
            if (!(o.getActivationFn() instanceof ActivationSoftmax)) {
                throw new UnsupportedGraphException(name, "output activation " + o.getActivationFn() + " (only softmax)");
            }
            if (!(o.getLossFn() instanceof LossMCXENT l) || l.getWeights() != null) {
                throw new UnsupportedGraphException(name, "loss " + o.getLossFn() + " (only unweighted MCXENT)");
            }
            return new InnerProductOp(name, x, Math.toIntExact(o.getNOut()), params.param(name, "W"),
                    o.hasBias() ? params.param(name, "b") : null, null, retain(name, layer), true);
        }
        if (layer instanceof DenseLayer d) {
            if (d.hasLayerNorm()) {
                throw new UnsupportedGraphException(name, "dense layer with layer normalization");
            }
            return new InnerProductOp(name, x, Math.toIntExact(d.getNOut()), params.param(name, "W"),
                    d.hasBias() ? params.param(name, "b") : null, Eltwise.of(d.getActivationFn(), name),
                    retain(name, layer), false);
        }
        throw new UnsupportedGraphException(name, "layer kind " + layer.getClass().getSimpleName() + " is not supported");
    }

    private static void checkCommon(String name, Layer layer) {
        if (layer.getConstraints() != null && !layer.getConstraints().isEmpty()) {
            throw new UnsupportedGraphException(name, "parameter constraints");
        }
        if (layer instanceof BaseLayer b) {
            if (b.getGradientNormalization() != null && b.getGradientNormalization() != GradientNormalization.None) {
                throw new UnsupportedGraphException(name, "gradient normalization " + b.getGradientNormalization());
            }
            if (b.getWeightNoise() != null) {
                throw new UnsupportedGraphException(name, "weight noise");
            }
        }
    }

    private static double retain(String name, Layer layer) {
        IDropout d = layer.getIDropout();
        if (d == null) {
            return 1.0;
        }
        if (!(d instanceof Dropout drop) || drop.getPSchedule() != null || !(drop.getP() > 0 && drop.getP() <= 1)) {
            throw new UnsupportedGraphException(name, "dropout " + d + " (only plain inverted Dropout with a fixed p)");
        }
        return drop.getP();
    }

    private static void requireNoDropout(String name, Layer layer) {
        if (layer.getIDropout() != null) {
            throw new UnsupportedGraphException(name, "dropout on a " + layer.getClass().getSimpleName());
        }
    }

    private static void requireNchw(String name, CNN2DFormat f) {
        if (f != null && f != CNN2DFormat.NCHW) {
            throw new UnsupportedGraphException(name, "data format " + f + " (only NCHW)");
        }
    }

    private static void requireNoDilation(String name, int[] d) {
        if (d != null) {
            for (int v : d) {
                if (v != 1) {
                    throw new UnsupportedGraphException(name, "dilation " + java.util.Arrays.toString(d));
                }
            }
        }
    }

    private static void requireFlatten(String name, InputPreProcessor p) {
        if (!(p instanceof CnnToFeedForwardPreProcessor c) || (c.getFormat() != null && c.getFormat() != CNN2DFormat.NCHW)) {
            throw new UnsupportedGraphException(name, "preprocessor " + p + " (only an NCHW CnnToFeedForward flatten)");
        }
    }

    /** Top/left and bottom/right padding per dimension so that oneDNN produces DL4J's output size. */
    private static long[][] padding(String name, ConvolutionMode mode, InputType.InputTypeConvolutional in,
                                    InputType.InputTypeConvolutional out, int[] kernel, int[] stride, int[] pad) {
        long[] inSize = {in.getHeight(), in.getWidth()};
        long[] outSize = {out.getHeight(), out.getWidth()};
        long[] l = new long[2];
        long[] r = new long[2];
        for (int d = 0; d < 2; d++) {
            if (mode == ConvolutionMode.Same) {
                long total = Math.max(0, (outSize[d] - 1) * stride[d] + kernel[d] - inSize[d]);
                l[d] = total / 2;
                r[d] = total - l[d];
            } else if (mode == ConvolutionMode.Truncate || mode == ConvolutionMode.Strict) {
                l[d] = pad[d];
                r[d] = pad[d];
            } else {
                throw new UnsupportedGraphException(name, "convolution mode " + mode);
            }
            if ((inSize[d] - kernel[d] + l[d] + r[d]) / stride[d] + 1 != outSize[d]) {
                throw new UnsupportedGraphException(name, "cannot reproduce DL4J's output size " + outSize[d]
                        + " from input " + inSize[d] + ", kernel " + kernel[d] + ", stride " + stride[d]);
            }
        }
        return new long[][] {l, r};
    }

    private InputType.InputTypeConvolutional image(String at, String tensor) {
        if (!(typeOf(tensor) instanceof InputType.InputTypeConvolutional c)) {
            throw new UnsupportedGraphException(at, "expected an image at " + tensor + ", got " + typeOf(tensor));
        }
        return c;
    }

    private InputType typeOf(String tensor) {
        InputType t = types.get(tensor);
        if (t == null) {
            t = types.get(resolve(tensor));
        }
        return t;
    }

    private String resolve(String name) {
        String n = name;
        while (alias.containsKey(n)) {
            n = alias.get(n);
        }
        return n;
    }

    private static String single(String name, List<String> ins) {
        if (ins.size() != 1) {
            throw new UnsupportedGraphException(name, "expected one input, got " + ins);
        }
        return ins.get(0);
    }

    private static long[] longs(int[] a) {
        long[] l = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            l[i] = a[i];
        }
        return l;
    }
}
