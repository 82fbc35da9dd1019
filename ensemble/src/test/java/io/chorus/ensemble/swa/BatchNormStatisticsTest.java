package io.chorus.ensemble.swa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import io.chorus.worker.engine.Engine;

/**
 * {@link BatchNormStatistics} on a small graph with a CNN batch normalization ({@code [N, 4, 4, 4]} input)
 * and a dense one ({@code [N, 5]}), both parameterizations of the variance, against statistics computed
 * here in double loops.
 */
class BatchNormStatisticsTest {

    private static final int EXAMPLES = 300;
    private static final int[] BATCHES = {128, 128, 44};
    private static final double EPS = 1e-5;

    @BeforeAll
    static void helpers() {
        // As in production: the layers get DL4J's oneDNN helpers where available.
        Engine.ensureHelpers();
    }

    /** in [N,2,6,6] -> conv 3x3 (4) -> bn1 -> relu -> global avg pool -> dense (5) -> bn2 -> softmax (3). */
    static ComputationGraph net(boolean useLogStd) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(5)
                .dataType(DataType.FLOAT)
                .updater(new Sgd(0.1))
                .weightInit(WeightInit.XAVIER)
                .activation(Activation.IDENTITY)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(6, 6, 2))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).build(), "in")
                .addLayer("bn1", new BatchNormalization.Builder().useLogStd(useLogStd).eps(EPS).build(), "conv")
                .addLayer("relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "bn1")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "relu")
                .addLayer("dense", new DenseLayer.Builder().nOut(5).build(), "gap")
                .addLayer("bn2", new BatchNormalization.Builder().useLogStd(useLogStd).eps(EPS).build(), "dense")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "bn2")
                .setOutputs("out")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        // Gamma and beta away from 1 and 0, so that a mix-up cannot cancel out.
        Nd4j.getRandom().setSeed(17);
        for (String bn : List.of("bn1", "bn2")) {
            INDArray gamma = net.getLayer(bn).getParam(BatchNormalizationParamInitializer.GAMMA);
            gamma.assign(Nd4j.rand(DataType.FLOAT, gamma.shape()).addi(0.5));
            INDArray beta = net.getLayer(bn).getParam(BatchNormalizationParamInitializer.BETA);
            beta.assign(Nd4j.randn(DataType.FLOAT, beta.shape()));
        }
        return net;
    }

    /** Inputs with channel offsets and scales far from 0 and 1. */
    static INDArray data() {
        Nd4j.getRandom().setSeed(23);
        INDArray x = Nd4j.randn(DataType.FLOAT, EXAMPLES, 2, 6, 6);
        x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(0))
                .muli(3).addi(2);
        x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(1))
                .muli(0.5).subi(1);
        return x;
    }

    static List<DataSet> batches(INDArray x, int... sizes) {
        List<DataSet> out = new ArrayList<>();
        int from = 0;
        for (int size : sizes) {
            INDArray f = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + size)).dup();
            out.add(new DataSet(f, null));
            from += size;
        }
        return out;
    }

    /** Per channel: the example-weighted averages of the batch means and biased batch variances. */
    static double[][] handStatistics(ComputationGraph net, List<DataSet> batches, String input) {
        double[] mean = null;
        double[] var = null;
        long total = 0;
        for (DataSet b : batches) {
            INDArray x = net.feedForward(b.getFeatures(), true).get(input).castTo(DataType.DOUBLE);
            int n = (int) x.size(0);
            int channels = (int) x.size(1);
            int spatial = x.rank() == 4 ? (int) (x.size(2) * x.size(3)) : 1;
            double[] flat = x.dup('c').data().asDouble();
            if (mean == null) {
                mean = new double[channels];
                var = new double[channels];
            }
            for (int c = 0; c < channels; c++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < spatial; k++) {
                        s += flat[(i * channels + c) * spatial + k];
                    }
                }
                double mu = s / ((double) n * spatial);
                double q = 0;
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < spatial; k++) {
                        double d = flat[(i * channels + c) * spatial + k] - mu;
                        q += d * d;
                    }
                }
                mean[c] += n * mu;
                var[c] += n * q / ((double) n * spatial);
            }
            total += n;
        }
        for (int c = 0; c < mean.length; c++) {
            mean[c] /= total;
            var[c] /= total;
        }
        return new double[][] {mean, var};
    }

    /** The variance inference will use, read back from the layer's parameters as DL4J does. */
    static double[] storedVariance(ComputationGraph net, String bn) {
        Map<String, INDArray> p = net.getLayer(bn).paramTable();
        INDArray log10Std = p.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
        if (log10Std == null) {
            return p.get(BatchNormalizationParamInitializer.GLOBAL_VAR).toDoubleVector();
        }
        double[] l = log10Std.toDoubleVector();
        double[] v = new double[l.length];
        for (int c = 0; c < l.length; c++) {
            double std = Math.pow(10, l[c]);
            v[c] = std * std;
        }
        return v;
    }

    @ParameterizedTest(name = "useLogStd {0}")
    @ValueSource(booleans = {true, false})
    void writesTheBatchSizeWeightedStatisticsAndInferenceUsesThem(boolean useLogStd) {
        ComputationGraph net = net(useLogStd);
        // Where DL4J's oneDNN helpers are on (as in production), the CNN layer's inference runs through
        // MKLDNNBatchNormHelper, which must read the statistics the same way as the Java path.
        assertEquals(Engine.ensureHelpers(), net.getLayer("bn1").getHelper()
                instanceof org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper);
        assertTrue(net.getLayer("bn1").paramTable().containsKey(useLogStd
                ? BatchNormalizationParamInitializer.GLOBAL_LOG_STD : BatchNormalizationParamInitializer.GLOBAL_VAR));
        INDArray x = data();
        List<DataSet> batches = batches(x, BATCHES);
        double[][] expected1 = handStatistics(net, batches, "conv");
        double[][] expected2 = handStatistics(net, batches, "dense");

        assertEquals(2, BatchNormStatistics.recompute(net, batches.iterator()));

        for (Object[] check : new Object[][] {{"bn1", expected1}, {"bn2", expected2}}) {
            String bn = (String) check[0];
            double[][] expected = (double[][]) check[1];
            double[] mean = net.getLayer(bn).getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).toDoubleVector();
            double[] var = storedVariance(net, bn);
            for (int c = 0; c < mean.length; c++) {
                assertEquals(expected[0][c], mean[c], 1e-5 * Math.max(1, Math.abs(expected[0][c])), bn + " mean " + c);
                assertEquals(expected[1][c], var[c], 1e-5 * expected[1][c], bn + " variance " + c);
            }
        }

        // Inference: y = gamma (x - mean) / sqrt(var + eps) + beta with the hand statistics.
        INDArray probe = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 50)).dup();
        INDArray convOut = net.feedForward(probe, false).get("conv").dup();
        INDArray bnOut = net.getLayer("bn1").activate(convOut.dup(), false, LayerWorkspaceMgr.noWorkspaces());
        double[] gamma = net.getLayer("bn1").getParam(BatchNormalizationParamInitializer.GAMMA).toDoubleVector();
        double[] beta = net.getLayer("bn1").getParam(BatchNormalizationParamInitializer.BETA).toDoubleVector();
        double[] in = convOut.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] out = bnOut.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        int channels = gamma.length;
        int spatial = (int) (convOut.length() / (50L * channels));
        for (int i = 0; i < in.length; i++) {
            int c = (i / spatial) % channels;
            double y = gamma[c] * (in[i] - expected1[0][c]) / Math.sqrt(expected1[1][c] + EPS) + beta[c];
            assertEquals(y, out[i], 1e-4 * Math.max(1, Math.abs(y)), "bn1 inference output at " + i);
        }
    }

    @ParameterizedTest(name = "useLogStd {0}")
    @ValueSource(booleans = {true, false})
    void withOneBatchInferenceNormalizesTheDataToMeanZeroVarianceOne(boolean useLogStd) {
        ComputationGraph net = net(useLogStd);
        INDArray x = data();
        assertEquals(2, BatchNormStatistics.recompute(net, batches(x, EXAMPLES).iterator()));
        Map<String, INDArray> inference = net.feedForward(x, false);
        for (String bn : List.of("bn1", "bn2")) {
            // The layer's own inference on its inference-mode input (the map's entry for the layer itself may
            // have been overwritten by an in-place activation after it).
            INDArray input = inference.get(bn.equals("bn1") ? "conv" : "dense").dup();
            INDArray y = net.getLayer(bn).activate(input, false, LayerWorkspaceMgr.noWorkspaces())
                    .castTo(DataType.DOUBLE);
            int channels = (int) y.size(1);
            INDArray gamma = net.getLayer(bn).getParam(BatchNormalizationParamInitializer.GAMMA).castTo(DataType.DOUBLE)
                    .reshape(channels);
            INDArray beta = net.getLayer(bn).getParam(BatchNormalizationParamInitializer.BETA).castTo(DataType.DOUBLE)
                    .reshape(channels);
            // Undo gamma and beta: xhat = (y - beta) / gamma, per channel.
            INDArray xhat = y.rank() == 4
                    ? y.subi(beta.reshape(1, channels, 1, 1)).divi(gamma.reshape(1, channels, 1, 1))
                    : y.subiRowVector(beta).diviRowVector(gamma);
            int[] dims = y.rank() == 4 ? new int[] {0, 2, 3} : new int[] {0};
            double[] mean = xhat.mean(dims).toDoubleVector();
            double[] var = xhat.var(false, dims).toDoubleVector();
            double[] stored = storedVariance(net, bn);
            for (int c = 0; c < channels; c++) {
                assertEquals(0.0, mean[c], 1e-4, bn + " channel " + c + " mean");
                // 1 up to epsilon: the data's variance v is divided by v + eps.
                assertEquals(stored[c] / (stored[c] + EPS), var[c], 1e-4, bn + " channel " + c + " variance");
                assertEquals(1.0, var[c], 0.01, bn + " channel " + c + " variance");
            }
        }
    }

    @Test
    void changesOnlyTheStatistics() {
        ComputationGraph net = net(true);
        Map<String, INDArray> before = new java.util.LinkedHashMap<>();
        net.paramTable().forEach((k, v) -> before.put(k, v.dup()));
        BatchNormStatistics.recompute(net, batches(data(), BATCHES).iterator());
        int changed = 0;
        for (Map.Entry<String, INDArray> e : net.paramTable().entrySet()) {
            boolean statistic = e.getKey().endsWith("_" + BatchNormalizationParamInitializer.GLOBAL_MEAN)
                    || e.getKey().endsWith("_" + BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
            if (statistic) {
                changed++;
                assertNotEquals(before.get(e.getKey()), e.getValue(), e.getKey() + " must be recomputed");
            } else {
                assertArrayEquals(flat(before.get(e.getKey())), flat(e.getValue()), 0f,
                        e.getKey() + " must not change");
            }
        }
        assertEquals(4, changed, "mean and log10stdev of two layers");
    }

    @Test
    void networkWithoutBatchNormIsLeftAloneAndNoBatchIsRead() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(1).dataType(DataType.FLOAT).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(4))
                .addLayer("dense", new DenseLayer.Builder().nOut(3).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out").build());
        net.init();
        INDArray before = net.params().dup();
        Iterator<DataSet> untouchable = new Iterator<>() {
            @Override
            public boolean hasNext() {
                throw new AssertionError("no batch may be read");
            }

            @Override
            public DataSet next() {
                throw new AssertionError("no batch may be read");
            }
        };
        assertEquals(0, BatchNormStatistics.recompute(net, untouchable));
        assertEquals(before, net.params());
    }

    @Test
    void noBatchesIsAnError() {
        ComputationGraph net = net(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatchNormStatistics.recompute(net, Collections.<DataSet>emptyIterator()));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void everyLayerOfAResidualGraphIsRecomputed() {
        // Branches and shortcuts: the topological order is not the order in which the vertices were added.
        ComputationGraph net = io.chorus.worker.zoo.ModelZoo.build(io.chorus.ensemble.testdata.TinyFashion.resnet(true, 0),
                new io.chorus.worker.data.ImageShape(14, 14, 1), 10, 3L, new Sgd(0.1), 0);
        List<String> bnLayers = new ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            if (l instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization) {
                bnLayers.add(l.conf().getLayer().getLayerName());
            }
        }
        Nd4j.getRandom().setSeed(29);
        INDArray x = Nd4j.randn(DataType.FLOAT, 64, 1, 14, 14).muli(2).addi(1);
        assertEquals(bnLayers.size(), BatchNormStatistics.recompute(net, batches(x, 64).iterator()));
        // With one batch, each layer's inference on its inference-mode input is normalized per channel
        // (gamma 1 and beta 0 as initialized).
        Map<String, INDArray> inference = net.feedForward(x, false);
        for (String bn : bnLayers) {
            String input = net.getConfiguration().getVertexInputs().get(bn).get(0);
            INDArray y = net.getLayer(bn).activate(inference.get(input).dup(), false, LayerWorkspaceMgr.noWorkspaces())
                    .castTo(DataType.DOUBLE);
            double[] mean = y.mean(0, 2, 3).toDoubleVector();
            double[] var = y.var(false, 0, 2, 3).toDoubleVector();
            double[] stored = storedVariance(net, bn);
            double eps = ((BatchNormalization) net.getLayer(bn).conf().getLayer()).getEps();
            for (int c = 0; c < mean.length; c++) {
                assertEquals(0.0, mean[c], 1e-4, bn + " channel " + c + " mean");
                assertEquals(stored[c] / (stored[c] + eps), var[c], 1e-4, bn + " channel " + c + " variance");
            }
        }
    }

    static float[] flat(INDArray a) {
        return a.dup('c').reshape(a.length()).toFloatVector();
    }
}
