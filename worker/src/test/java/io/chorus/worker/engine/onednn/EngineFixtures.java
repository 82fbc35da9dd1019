package io.chorus.worker.engine.onednn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.ModelZoo;
import io.chorus.worker.zoo.WeightInitKind;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;

/** Networks, batches and the comparison norm shared by the engine's tests. */
final class EngineFixtures {
    static final int CLASSES = 10;
    static final double L2 = 1e-3;

    private EngineFixtures() {
    }

    static ModelSpec spec(Architecture arch, boolean bn, ActivationKind act, BlockKind block, double dropout) {
        return new ModelSpec(arch, WeightInitKind.HE, 0.01, act, bn, dropout, 2, 8, block);
    }

    static ComputationGraph build(ModelSpec spec, ImageShape shape, IUpdater updater) {
        return ModelZoo.build(spec, shape, CLASSES, 12345, updater, L2);
    }

    static INDArray features(ImageShape s, int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(DataType.FLOAT, n, s.channels(), s.height(), s.width()).subi(0.5).muli(2);
    }

    static INDArray labels(int n, long seed) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, CLASSES);
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, r.nextInt(CLASSES), 1.0);
        }
        return y;
    }

    static OneDnnNetwork compile(ComputationGraph net, ImageShape s) {
        return OneDnnNetwork.compile(net, s.channels(), s.height(), s.width());
    }

    /**
     * Asserts, for every parameter of every layer except batch normalization's running statistics,
     * {@code max|a - b| <= tol * max(max|b|, floor)}: a tolerance relative to the tensor's largest value, so
     * entries that are tiny by chance do not demand a precision float32 sums do not have.
     */
    static void assertParamsClose(ComputationGraph net, INDArray expectedFlat, INDArray actualFlat, double tol,
                                  boolean includeRunningStats, String what) {
        long base = net.params().offset();
        StringBuilder failures = new StringBuilder();
        for (Layer layer : net.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            for (var e : layer.paramTable().entrySet()) {
                boolean running = e.getKey().equals("mean") || e.getKey().equals("log10stdev") || e.getKey().equals("var");
                if (running != includeRunningStats && running) {
                    continue;
                }
                if (includeRunningStats && !running) {
                    continue;
                }
                long off = e.getValue().offset() - base;
                long len = e.getValue().length();
                INDArray exp = expectedFlat.reshape(-1).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(off, off + len));
                INDArray act = actualFlat.reshape(-1).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(off, off + len));
                double scale = Math.max(exp.amaxNumber().doubleValue(), 1e-8);
                double err = exp.sub(act).amaxNumber().doubleValue();
                if (!(err <= tol * scale)) {
                    failures.append(String.format(java.util.Locale.ROOT, "%n  %s.%s: max|diff| %.3g, max|expected| %.3g, ratio %.3g",
                            name, e.getKey(), err, scale, err / scale));
                }
            }
        }
        assertTrue(failures.length() == 0, what + " differ beyond " + tol + " relative:" + failures);
    }

    /** Every parameter selector: the trainable ones, or batch normalization's running statistics. */
    static void assertTrainableClose(ComputationGraph net, INDArray expected, INDArray actual, double tol, String what) {
        assertParamsClose(net, expected, actual, tol, false, what);
    }
}
