package io.chorus.worker.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's {@code BatchNormalization} layer (training mode, dense input {@code [m, n]}) against the seed
 * formulas, evaluated per feature in double loops:
 * <pre>
 *   mu = 1/m sum x_i,  var = 1/m sum (x_i - mu)^2,  xhat_i = (x_i - mu) / sqrt(var + eps)
 *   y_i = gamma * xhat_i + beta
 *   dL/dgamma = sum dL/dy_i * xhat_i,   dL/dbeta = sum dL/dy_i
 *   dL/dxhat_i = dL/dy_i * gamma
 *   dL/dvar = sum dL/dxhat_i * (x_i - mu) * (-1/2) (var + eps)^(-3/2)
 *   dL/dmu  = sum dL/dxhat_i * (-1 / sqrt(var + eps)) + dL/dvar * (-2/m) sum (x_i - mu)
 *   dL/dx_i = dL/dxhat_i / sqrt(var + eps) + dL/dmu / m + dL/dvar * 2 (x_i - mu) / m
 * </pre>
 * The batch variance is the biased one (divide by m), as in the formulas. Everything runs in DOUBLE so a
 * relative tolerance of 1e-9 separates real disagreements from rounding. Gamma and beta are set to random
 * values (not the 1/0 defaults) so a mix-up between them, or a missing gamma in dL/dx, cannot cancel out.
 * DL4J also keeps the running mean and log10 std as parameters; those are not part of the seed and are
 * not compared.
 */
class BatchNormConformanceTest {

    private static final int M = 16;
    private static final int N = 5;
    private static final double EPS = 1e-5;
    private static final double REL_TOL = 1e-9;

    @Test
    void forwardAndBackwardMatchTheSeedFormulas() {
        Random random = new Random(20170101L);
        double[][] x = gaussian(random, M, N, 3.0, 2.0);
        double[][] dy = gaussian(random, M, N, 0.0, 1.0);
        double[] gamma = new double[N];
        double[] beta = new double[N];
        for (int j = 0; j < N; j++) {
            gamma[j] = 0.5 + random.nextDouble();
            beta[j] = random.nextGaussian();
        }

        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(1)
                .list()
                .layer(new BatchNormalization.Builder().nIn(N).nOut(N).eps(EPS).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        // Calling a layer's backprop directly needs the gradient buffers that fit() would otherwise create.
        net.initGradientsView();
        Layer layer = net.getLayer(0);
        layer.setParam(BatchNormalizationParamInitializer.GAMMA, Nd4j.create(new double[][] {gamma}));
        layer.setParam(BatchNormalizationParamInitializer.BETA, Nd4j.create(new double[][] {beta}));

        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(Nd4j.create(x), mgr);
        INDArray y = layer.activate(true, mgr);
        Pair<Gradient, INDArray> back = layer.backpropGradient(Nd4j.create(dy), mgr);
        INDArray dGamma = back.getFirst().getGradientFor(BatchNormalizationParamInitializer.GAMMA);
        INDArray dBeta = back.getFirst().getGradientFor(BatchNormalizationParamInitializer.BETA);
        INDArray dx = back.getSecond();

        for (int j = 0; j < N; j++) {
            double mu = 0;
            for (int i = 0; i < M; i++) {
                mu += x[i][j];
            }
            mu /= M;
            double var = 0;
            for (int i = 0; i < M; i++) {
                var += (x[i][j] - mu) * (x[i][j] - mu);
            }
            var /= M;
            double std = Math.sqrt(var + EPS);

            double[] xhat = new double[M];
            double[] dxhat = new double[M];
            double expectedDGamma = 0;
            double expectedDBeta = 0;
            double dVar = 0;
            double sumDxhat = 0;
            double sumCentered = 0;
            for (int i = 0; i < M; i++) {
                xhat[i] = (x[i][j] - mu) / std;
                dxhat[i] = dy[i][j] * gamma[j];
                expectedDGamma += dy[i][j] * xhat[i];
                expectedDBeta += dy[i][j];
                dVar += dxhat[i] * (x[i][j] - mu) * -0.5 * Math.pow(var + EPS, -1.5);
                sumDxhat += dxhat[i];
                sumCentered += x[i][j] - mu;
            }
            double dMu = -sumDxhat / std + dVar * -2.0 * sumCentered / M;

            assertClose(expectedDGamma, gradientAt(dGamma, j), "dL/dgamma[" + j + "]");
            assertClose(expectedDBeta, gradientAt(dBeta, j), "dL/dbeta[" + j + "]");
            for (int i = 0; i < M; i++) {
                double expectedDx = dxhat[i] / std + dMu / M + dVar * 2.0 * (x[i][j] - mu) / M;
                assertClose(expectedDx, dx.getDouble(i, j), "dL/dx[" + i + "," + j + "]");
                assertClose(gamma[j] * xhat[i] + beta[j], y.getDouble(i, j), "y[" + i + "," + j + "]");
            }
        }
    }

    private static double gradientAt(INDArray gradient, int j) {
        assertEquals(N, gradient.length(), "one gradient entry per feature");
        return gradient.getDouble(j);
    }

    private static void assertClose(double expected, double actual, String what) {
        // Relative to the magnitude, with a small absolute floor for entries that are near zero by chance.
        double bound = REL_TOL * Math.max(Math.abs(expected), 1e-3);
        assertTrue(Math.abs(expected - actual) <= bound,
                what + ": expected " + expected + " but DL4J gave " + actual);
    }

    private static double[][] gaussian(Random random, int rows, int cols, double mean, double sd) {
        double[][] a = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                a[i][j] = mean + sd * random.nextGaussian();
            }
        }
        return a;
    }
}
