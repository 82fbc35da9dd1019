package io.chorus.ensemble.swa;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Recomputes the inference statistics of every batch normalization layer of a network from data, as
 * {@code torch.optim.swa_utils.update_bn} does: needed after weight averaging, whose averaged running
 * statistics belong to none of the averaged networks.
 *
 * <h2>What is computed</h2>
 * One pass over the batches, each forwarded in <em>training</em> mode (every batch normalization layer
 * normalizes with the statistics of the batch, and dropout is active, exactly as during training; its
 * masks come from ND4J's generator, which the caller may seed). For each batch normalization layer and
 * each channel (CNN input {@code [N, C, H, W]}: over N, H and W; dense input {@code [N, C]}: over N),
 * the batch mean and the biased batch variance of the layer's <em>input</em> are computed, and their
 * averages over all batches, weighted by the number of examples in each batch, become the layer's
 * global mean and variance. The biased variance is the one DL4J normalizes training batches with and
 * feeds its own running average. (The average of per-batch variances is what the layer saw in training;
 * it leaves out the spread of the batch means, so it is slightly below the variance of the whole data.)
 *
 * <h2>How DL4J stores them</h2>
 * DL4J keeps the statistics among the layer's parameters ({@code params()}): {@code "mean"}, and either
 * {@code "var"} (the variance itself) or, by default ({@code useLogStd}), {@code "log10stdev"}
 * {@code = log10(sqrt(var))} <em>without</em> epsilon. In inference mode it computes
 * {@code var = (10^log10stdev)^2} and normalizes with {@code (x - mean) / sqrt(var + eps)}, adding
 * epsilon itself; so does the oneDNN helper path, which is handed {@code (10^log10stdev)^2} and
 * {@code eps}. So this class writes {@code log10stdev = 0.5 * log10(var)} (or {@code var}), and
 * inference normalizes with exactly the recomputed statistics, up to FLOAT rounding. A variance below
 * {@value #MIN_VARIANCE} (a dead channel) is stored as {@value #MIN_VARIANCE}, so the logarithm stays
 * finite; this changes nothing in inference, where epsilon dominates it.
 *
 * <p>Only the statistics change: weights, gamma and beta are left as they are; gradients and updater
 * state are not touched.
 */
public final class BatchNormStatistics {

    /** Smallest variance written into a {@code log10stdev} parameter. */
    public static final double MIN_VARIANCE = 1e-30;

    private BatchNormStatistics() {
    }

    /** One batch normalization layer and its running sums. */
    private static final class Target {
        final String name;
        final BatchNormalization layer;
        final String input;
        final InputPreProcessor preProcessor;
        double[] weightedMean;
        double[] weightedVar;
        long examples;

        Target(String name, BatchNormalization layer, String input, InputPreProcessor preProcessor) {
            this.name = name;
            this.layer = layer;
            this.input = input;
            this.preProcessor = preProcessor;
        }
    }

    /**
     * Recomputes the global mean and variance of every batch normalization layer of {@code net} from
     * {@code batches} (typically one epoch of the training data, unaugmented or augmented as in training).
     * Only the features of each batch are used. A network without batch normalization is returned as it
     * is, without reading any batch.
     *
     * @return number of batch normalization layers updated
     * @throws IllegalArgumentException if the network has batch normalization but {@code batches} is
     *                                  empty, or a batch has no features
     * @throws IllegalStateException    if a batch normalization layer receives an input that is neither
     *                                  dense ({@code [N, C]}) nor a CNN activation ({@code [N, C, H, W]})
     */
    public static int recompute(ComputationGraph net, Iterator<DataSet> batches) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(batches, "batches");
        List<Target> targets = targets(net);
        if (targets.isEmpty()) {
            return 0;
        }
        // Forward only as far as the last batch normalization layer in topological order.
        int stopVertex = lastInTopologicalOrder(net, targets);
        String networkInput = net.getConfiguration().getNetworkInputs().get(0);
        int batchNumber = 0;
        while (batches.hasNext()) {
            DataSet batch = batches.next();
            batchNumber++;
            INDArray features = batch == null ? null : batch.getFeatures();
            if (features == null) {
                throw new IllegalArgumentException("batch " + batchNumber + " has no features");
            }
            Map<String, INDArray> activations = net.feedForward(new INDArray[] {features}, stopVertex, true, true);
            for (Target t : targets) {
                INDArray x = t.input.equals(networkInput) && !activations.containsKey(t.input)
                        ? features : activations.get(t.input);
                if (t.preProcessor != null) {
                    x = t.preProcessor.preProcess(x, (int) x.size(0), LayerWorkspaceMgr.noWorkspaces());
                }
                accumulate(t, x);
            }
        }
        if (batchNumber == 0) {
            throw new IllegalArgumentException("batches is empty; batch normalization statistics need data");
        }
        for (Target t : targets) {
            write(t);
        }
        return targets.size();
    }

    private static List<Target> targets(ComputationGraph net) {
        List<Target> targets = new ArrayList<>();
        Map<String, List<String>> inputs = net.getConfiguration().getVertexInputs();
        for (GraphVertex v : net.getVertices()) {
            if (!v.hasLayer()) {
                continue;
            }
            Layer layer = v.getLayer();
            if (layer instanceof FrozenLayer frozen) {
                layer = frozen.getInsideLayer();
            }
            if (layer instanceof BatchNormalization bn) {
                String name = v.getVertexName();
                List<String> in = inputs.get(name);
                if (in == null || in.size() != 1) {
                    throw new IllegalStateException("batch normalization layer '" + name
                            + "' must have exactly one input, has " + in);
                }
                InputPreProcessor pp = v instanceof org.deeplearning4j.nn.graph.vertex.impl.LayerVertex lv
                        ? lv.getLayerPreProcessor() : null;
                targets.add(new Target(name, bn, in.get(0), pp));
            }
        }
        return targets;
    }

    /**
     * The position, in the topological order, of the last batch normalization layer: DL4J's
     * {@code feedForward(inputs, layerTillIndex, ...)} computes the vertices at positions
     * {@code 0..layerTillIndex} of that order.
     */
    private static int lastInTopologicalOrder(ComputationGraph net, List<Target> targets) {
        int[] order = net.topologicalSortOrder();
        GraphVertex[] vertices = net.getVertices();
        int last = -1;
        for (int position = 0; position < order.length; position++) {
            String name = vertices[order[position]].getVertexName();
            for (Target t : targets) {
                if (t.name.equals(name)) {
                    last = position;
                }
            }
        }
        return last;
    }

    private static void accumulate(Target t, INDArray x) {
        long[] dims;
        if (x.rank() == 2) {
            dims = new long[] {0};
        } else if (x.rank() == 4) {
            CNN2DFormat format = ((org.deeplearning4j.nn.conf.layers.BatchNormalization) t.layer.conf().getLayer())
                    .getCnn2DFormat();
            dims = format == CNN2DFormat.NHWC ? new long[] {0, 1, 2} : new long[] {0, 2, 3};
        } else {
            throw new IllegalStateException("batch normalization layer '" + t.name + "' receives an input of rank "
                    + x.rank() + " " + java.util.Arrays.toString(x.shape())
                    + "; only dense [N, C] and CNN [N, C, H, W] inputs are supported");
        }
        INDArray xd = x.castTo(DataType.DOUBLE);
        int[] reduce = java.util.Arrays.stream(dims).mapToInt(d -> (int) d).toArray();
        double[] mean = xd.mean(reduce).toDoubleVector();
        double[] var = xd.var(false, reduce).toDoubleVector();
        long n = x.size(0);
        if (t.weightedMean == null) {
            t.weightedMean = new double[mean.length];
            t.weightedVar = new double[var.length];
        }
        for (int c = 0; c < mean.length; c++) {
            t.weightedMean[c] += n * mean[c];
            t.weightedVar[c] += n * var[c];
        }
        t.examples += n;
    }

    private static void write(Target t) {
        int channels = t.weightedMean.length;
        double[] mean = new double[channels];
        double[] var = new double[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = t.weightedMean[c] / t.examples;
            var[c] = t.weightedVar[c] / t.examples;
        }
        Map<String, INDArray> params = t.layer.paramTable();
        assign(t, params.get(BatchNormalizationParamInitializer.GLOBAL_MEAN), mean,
                BatchNormalizationParamInitializer.GLOBAL_MEAN);
        if (params.containsKey(BatchNormalizationParamInitializer.GLOBAL_LOG_STD)) {
            double[] log10Std = new double[channels];
            for (int c = 0; c < channels; c++) {
                log10Std[c] = 0.5 * Math.log10(Math.max(var[c], MIN_VARIANCE));
            }
            assign(t, params.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD), log10Std,
                    BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
        } else {
            assign(t, params.get(BatchNormalizationParamInitializer.GLOBAL_VAR), var,
                    BatchNormalizationParamInitializer.GLOBAL_VAR);
        }
    }

    private static void assign(Target t, INDArray param, double[] values, String key) {
        if (param == null) {
            throw new IllegalStateException("batch normalization layer '" + t.name + "' has no parameter '" + key
                    + "'; its parameters are " + t.layer.paramTable().keySet());
        }
        if (param.length() != values.length) {
            throw new IllegalStateException("batch normalization layer '" + t.name + "' has " + param.length()
                    + " channels in '" + key + "' but its input has " + values.length);
        }
        param.assign(Nd4j.createFromArray(values).reshape(param.shape()).castTo(param.dataType()));
    }
}
