package io.chorus.driver.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import io.chorus.driver.eval.ModelStore;
import io.chorus.driver.eval.ProbsCsv;
import io.chorus.driver.eval.TinyRun;
import io.chorus.driver.scoring.Scoring;
import io.chorus.ensemble.calibrate.Temperature;
import io.chorus.ensemble.combine.MajorityVote;
import io.chorus.ensemble.combine.TemperatureScaled;
import io.chorus.ensemble.metrics.Metrics;
import io.chorus.ensemble.combine.MeanAverage;
import io.chorus.ensemble.combine.SelectionAverage;
import io.chorus.ensemble.combine.WeightedAverage;
import io.chorus.worker.data.BatchSource;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.fs.Json;
import io.chorus.worker.zoo.ModelZoo;

/**
 * Batch prediction scores images as the evaluation did: on the tiny evaluated run, each model's
 * probabilities equal those in eval/probs/*.csv bit for bit when scored with the evaluation's batch size and
 * thread count, whatever range of images is asked for (both go through {@link Scoring}, whose batches are
 * aligned to the images' indexes); with another batch size they stay within a bound derived from float32
 * arithmetic (see {@link #anotherBatchSizeStaysWithinTheFloat32Bound}); and each ensemble's accuracy on
 * those test images equals the one in eval/metrics.json.
 */
class EnsemblePredictorTest {
    static File run;
    static Path runDir;
    static FileSystem fs;
    static ImageData test;
    static JsonNode metrics;
    static int evalBatch;
    static final Configuration CONF = new Configuration();
    static final List<String> COMBINERS = List.of("average", "heads", "selection", "swa");
    /** float32 unit roundoff. */
    static final double U = Math.scalb(1.0, -24);

    @BeforeAll
    static void evaluatedRun() throws IOException {
        run = TinyRun.get().dir();
        runDir = new Path(run.getAbsolutePath());
        fs = FileSystem.getLocal(CONF).getRaw();
        metrics = Json.MAPPER.readTree(new File(run, "eval/metrics.json"));
        test = DataFiles.loadTest("/usr/share/datasets/fashion-mnist", 10, CONF).limit(metrics.get("test_examples").asInt());
        JsonNode settings = Json.MAPPER.readTree(new File(run, "eval/models.json")).get("settings");
        evalBatch = settings.get("scoring_batch").asInt();
        assertEquals(Scoring.DEFAULT_THREADS, settings.get("scoring_threads").asInt(),
                "the evaluation scored with the threads prediction uses");
    }

    private static ProbsCsv csv(String id) throws IOException {
        return ProbsCsv.read(fs, new Path(runDir, "eval/probs/" + id + ".csv"));
    }

    /** The float a CSV value was written from (Float.toString round-trips). */
    private static int bits(double v) {
        return Float.floatToIntBits((float) v);
    }

    @Test
    void sameBatchAndThreadsGiveTheEvaluationsFloats() throws IOException {
        // The evaluation cut the 1000 test images into chunks of whole batches; these ranges cut them
        // otherwise, across batch boundaries.
        int[][] ranges = {{0, test.size()}, {137, 771}, {evalBatch - 1, evalBatch + 1}};
        for (String combiner : COMBINERS) {
            EnsembleSpec spec = EnsembleSpec.read(fs, runDir, combiner);
            for (int[] r : ranges) {
                List<double[][]> members = EnsemblePredictor.memberProbabilities(spec, test, r[0], r[1], evalBatch, CONF);
                for (int i = 0; i < spec.models().size(); i++) {
                    double[][] expected = csv(spec.models().get(i).id()).p();
                    for (int j = r[0]; j < r[1]; j++) {
                        for (int c = 0; c < expected[j].length; c++) {
                            assertEquals(bits(expected[j][c]), bits(members.get(i)[j - r[0]][c]), combiner + " "
                                    + spec.models().get(i).id() + " images [" + r[0] + ", " + r[1] + ") row " + j
                                    + " class " + c + ": " + expected[j][c] + " vs " + members.get(i)[j - r[0]][c]);
                        }
                    }
                }
            }
        }
    }

    /**
     * With batches of 128 (and 7) instead of the evaluation's, the engine runs other kernels (on an AVX-512
     * Xeon batches of up to 120 images take another convolution/GEMM path than batches of 127 and more; the
     * last batch of 1000 images in 128s holds 104), which add the same float32 products in another order.
     * How far can that move a probability? Per image, assuming direct convolution and GEMM (sums reordered,
     * no Winograd or FFT transform):
     * <ul>
     *   <li>A sum of K float32 terms changes under reordering by at most {@code 2 gamma(K) sum|terms|},
     *       {@code gamma(K) = K u / (1 - K u)}, {@code u = 2^-24} (Higham, Accuracy and Stability of Numerical
     *       Algorithms, (3.5)). That worst case needs every rounding error to have the same sign; carried
     *       through LeNet's layers with |weights| it exceeds 1 here (lost cancellation in the dense layers
     *       multiplies magnitudes by 10^4), so it says nothing. With rounding errors independent and of mean
     *       zero (Higham and Mary, A New Approach to Probabilistic Rounding Error Analysis, SISC 2019, Thm 2.4)
     *       it is {@code lambda sqrt(K) u sum|terms|}, failing with probability below {@code 2K exp(-lambda^2/2)};
     *       {@code lambda = 8} (below 1e-11 per sum).</li>
     *   <li>The network's sums then compound as independent relative errors over its layers: the logits move by
     *       at most {@code lambda u sqrt(sum_l K_l)} (K_l: the terms of one sum of layer l, bias included; 2
     *       per batch normalization for its two roundings that matter after the mean is subtracted) relative to
     *       the output layer's absolute sum {@code A_c = sum_j |W_cj h_j| + |b_c|} (h: its input, as computed),
     *       which accounts for the cancellation inside the last layer; a factor 2 for two orders each off the
     *       exact result.</li>
     *   <li>Softmax: {@code dp_i = p_i (dz_i - sum_j p_j dz_j)}, so {@code |dp_i| <= 2 p_i (1 - p_i) max|dz| <=
     *       max|dz| / 2}; its own exp, 10-term sum and division differ by at most {@code 2 * 12u}.</li>
     * </ul>
     * So {@code |dp| <= lambda u sqrt(sum_l K_l) max_c A_c + 24u}: for these networks (sqrt(sum K) about 43, A up to
     * about 100) a few 1e-4, against differences of about 1e-6 and against 1e-1 and more for a wrong model,
     * normalization or row. Computed below for every model and image from the network's own weights and
     * activations (for a head: its backbone's layers and the head's).
     */
    @Test
    void anotherBatchSizeStaysWithinTheFloat32Bound() throws IOException {
        double worstRatio = 0;
        double largest = 0;
        double loosest = 0;
        for (String combiner : COMBINERS) {
            EnsembleSpec spec = EnsembleSpec.read(fs, runDir, combiner);
            for (int batch : new int[] {128, 7}) {
                List<double[][]> members = EnsemblePredictor.memberProbabilities(spec, test, 0, test.size(), batch, CONF);
                int differing = 0;
                for (int i = 0; i < spec.models().size(); i++) {
                    EnsembleSpec.Model m = spec.models().get(i);
                    double[] bound = bound(m);
                    double[][] expected = csv(m.id()).p();
                    for (int j = 0; j < expected.length; j++) {
                        loosest = Math.max(loosest, bound[j]);
                        for (int c = 0; c < expected[j].length; c++) {
                            double d = Math.abs((float) expected[j][c] - members.get(i)[j][c]);
                            differing += d > 0 ? 1 : 0;
                            largest = Math.max(largest, d);
                            worstRatio = Math.max(worstRatio, d / bound[j]);
                            assertTrue(d <= bound[j], combiner + " " + m.id() + " batch " + batch + " row " + j + " class "
                                    + c + ": " + expected[j][c] + " vs " + members.get(i)[j][c] + ", bound " + bound[j]);
                        }
                    }
                }
                System.out.printf(java.util.Locale.ROOT, "%s, batch %d: %d probabilities differ from the evaluation's%n",
                        combiner, batch, differing);
            }
        }
        System.out.printf(java.util.Locale.ROOT, "largest difference %.3g, largest bound %.3g, largest difference / "
                + "bound %.3g%n", largest, loosest, worstRatio);
    }

    private static final double LAMBDA = 8;

    /** Per test image: the bound on the difference of any class probability (see above). */
    private static double[] bound(EnsembleSpec.Model m) throws IOException {
        ComputationGraph net = ModelStore.read(m.path(), m.sha256(), CONF);
        INDArray x = BatchSource.toDataSet(test, m.normalization(), 0, test.size()).getFeatures();
        long terms = terms(net);
        if (m.backbone() != null) {
            ComputationGraph member = ModelStore.read(m.backbone().path(), m.backbone().sha256(), CONF);
            terms += terms(member);
            x = member.feedForward(new INDArray[] {x}, false).get(ModelZoo.FEATURES);
        }
        String out = net.getConfiguration().getNetworkOutputs().get(0);
        String in = net.getConfiguration().getVertexInputs().get(out).get(0);
        INDArray h = Transforms.abs(net.feedForward(new INDArray[] {x}, false).get(in));
        org.deeplearning4j.nn.api.Layer o = net.getLayer(out);
        INDArray absolute = h.mmul(Transforms.abs(o.getParam("W"))).addiRowVector(Transforms.abs(o.getParam("b")));
        double[] max = absolute.max(1).toDoubleVector();
        double[] bound = new double[max.length];
        for (int j = 0; j < max.length; j++) {
            bound[j] = LAMBDA * U * Math.sqrt(terms) * max[j] + 24 * U;
        }
        return bound;
    }

    /** Sum over the layers of the number of terms of one of their sums. */
    private static long terms(ComputationGraph net) {
        long k = 0;
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            Object conf = l.conf().getLayer();
            if (conf instanceof BatchNormalization) {
                k += 2;
            } else if (conf instanceof ConvolutionLayer c) {
                k += c.getNIn() * c.getKernelSize()[0] * c.getKernelSize()[1] + 1;
            } else if (conf instanceof FeedForwardLayer f) {
                k += f.getNIn() + 1;
            } else if (conf instanceof SubsamplingLayer s && s.getPoolingType() != PoolingType.MAX) {
                k += (long) s.getKernelSize()[0] * s.getKernelSize()[1];
            }
        }
        return k;
    }

    @Test
    void eachEnsemblesAccuracyEqualsMetricsJson() throws IOException {
        for (JsonNode e : metrics.get("ensembles")) {
            String name = e.get("name").asText();
            EnsembleSpec spec = EnsembleSpec.read(fs, runDir, name);
            EnsemblePredictor.Scores s = EnsemblePredictor.score(spec, test, 0, test.size(), 200, CONF);
            int correct = 0;
            for (int j = 0; j < test.size(); j++) {
                correct += s.prediction()[j] == test.labels()[j] ? 1 : 0;
                assertTrue(s.uncertainty().mutualInformation()[j] >= 0);
            }
            assertEquals(e.get("test").get("accuracy").asDouble(), correct / (double) test.size(), 1e-12, name);
        }
    }

    /**
     * A calibrated ensemble scales with the temperature the evaluation fitted for it (the ensemble's, or for a
     * model alone the model's, temperature_scaled.temperature): its probabilities are Temperature.apply of the
     * uncalibrated ones, its predictions are theirs, and on the evaluation's test images its NLL is the
     * temperature-scaled NLL metrics.json reports. Vote and swa have no temperature and are refused, naming it.
     */
    @Test
    void calibratedEnsemblesUseTheTemperatureOfMetricsJson() throws IOException {
        JsonNode m0 = null;
        for (JsonNode m : metrics.get("models")) {
            m0 = m.get("id").asText().equals("m0") ? m : m0;
        }
        for (String name : List.of("average", "snapshot", "selection", "m0")) {
            JsonNode evaluated = name.equals("m0") ? m0
                    : ensemble(name.equals("snapshot") ? "snapshot-" + metrics.get("best_member").asText() : name);
            JsonNode scaled = evaluated.get("temperature_scaled");
            double t = scaled.get("temperature").asDouble();
            EnsembleSpec plain = EnsembleSpec.read(fs, runDir, name);
            EnsembleSpec calibrated = plain.calibrated();
            assertTrue(calibrated.isCalibrated() && !plain.isCalibrated(), name);
            assertEquals(t, calibrated.appliedTemperature(), 0.0, name);
            assertEquals(new TemperatureScaled(plain.combiner(), t), calibrated.combiner(), name);
            EnsemblePredictor.Scores before = EnsemblePredictor.score(plain, test, 0, test.size(), evalBatch, CONF);
            EnsemblePredictor.Scores after = EnsemblePredictor.score(calibrated, test, 0, test.size(), evalBatch, CONF);
            assertArrayEquals(before.prediction(), after.prediction(), name + ": calibration keeps every prediction");
            double[][] expected = Temperature.apply(before.probability(), t);
            for (int j = 0; j < test.size(); j++) {
                assertArrayEquals(expected[j], after.probability()[j], 0.0, name + " row " + j);
            }
            if (t != 1.0) {
                assertTrue(java.util.Arrays.stream(after.probability()[0]).max().getAsDouble()
                        != java.util.Arrays.stream(before.probability()[0]).max().getAsDouble(), name + ": scaled");
            }
            assertEquals(scaled.get("test").get("nll").asDouble(),
                    Metrics.of(after.probability(), after.prediction(), test.labels()).nll(), 1e-6, name);
            assertArrayEquals(before.uncertainty().mutualInformation(), after.uncertainty().mutualInformation(), 0.0,
                    name + ": the members' disagreement does not change");
        }
        for (String name : List.of("vote", "swa")) {
            EnsembleSpec spec = EnsembleSpec.read(fs, runDir, name);
            assertEquals(null, spec.fittedTemperature(), name);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, spec::calibrated);
            assertTrue(e.getMessage().contains("ensemble " + name + " cannot be calibrated")
                    && e.getMessage().contains("temperature_scaled.temperature") && !e.getMessage().contains("\n"),
                    e.getMessage());
        }
    }

    /** The entry of eval/metrics.json for the ensemble {@code name}. */
    static JsonNode ensemble(String name) {
        for (JsonNode e : metrics.get("ensembles")) {
            if (e.get("name").asText().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("metrics.json has no ensemble " + name);
    }

    @Test
    void combinersResolveToTheEvaluationsEnsembles() throws IOException {
        EnsembleSpec average = EnsembleSpec.read(fs, runDir, "average");
        assertEquals(List.of("m0", "m1"), average.models().stream().map(EnsembleSpec.Model::id).toList(),
                "the diverged member 2 is in no ensemble");
        assertEquals(new MeanAverage(), average.combiner());
        assertEquals(new MajorityVote(), EnsembleSpec.read(fs, runDir, "vote").combiner());
        JsonNode weighted = ensemble("average-weighted");
        assertEquals(new WeightedAverage(Json.MAPPER.treeToValue(weighted.get("weights"), double[].class)),
                EnsembleSpec.read(fs, runDir, "average-weighted").combiner(), "the weights metrics.json lists");
        EnsembleSpec swa = EnsembleSpec.read(fs, runDir, "swa");
        assertEquals(List.of("m0-swa", "m1-swa"), swa.models().stream().map(EnsembleSpec.Model::id).toList());
        EnsembleSpec snapshot = EnsembleSpec.read(fs, runDir, "snapshot");
        assertEquals("snapshot-" + metrics.get("best_member").asText(), "snapshot-m" + snapshot.models().get(0).id()
                .substring(1, snapshot.models().get(0).id().indexOf('-')));
        EnsembleSpec heads = EnsembleSpec.read(fs, runDir, "heads");
        assertEquals("m0", heads.models().get(0).backbone().id(), "heads read member 0's features");
        EnsembleSpec single = EnsembleSpec.read(fs, runDir, "m1-swa");
        assertEquals(List.of("m1-swa"), single.models().stream().map(EnsembleSpec.Model::id).toList(), "one model alone");
        EnsembleSpec selection = EnsembleSpec.read(fs, runDir, "selection");
        int[] counts = ((SelectionAverage) selection.combiner()).counts();
        assertEquals(ensemble("selection").get("rounds").size(), java.util.Arrays.stream(counts).sum(),
                "one count per round of the selection");
        assertTrue(java.util.Arrays.stream(counts).allMatch(c -> c > 0), "only the models it picked");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EnsembleSpec.read(fs, runDir, "bagging"));
        assertTrue(e.getMessage().contains("has no ensemble named bagging"), e.getMessage());
    }
}
