package io.chorus.worker.train;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import io.chorus.worker.data.BatchSource;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.data.Normalization;

/**
 * Mean negative log-likelihood and accuracy of a network on labelled images, in inference mode.
 *
 * @param nll      mean of -log p(true class), probabilities clamped at 1e-12
 * @param accuracy fraction whose highest-probability class is the true one (ties: lowest index)
 * @param count    examples scored
 */
public record Scores(double nll, double accuracy, int count) {
    static final double MIN_PROBABILITY = 1e-12;

    public static Scores of(ComputationGraph net, ImageData data, Normalization norm, int batch) {
        if (data.size() == 0) {
            return new Scores(Double.NaN, Double.NaN, 0);
        }
        double nll = 0;
        int correct = 0;
        for (int from = 0; from < data.size(); from += batch) {
            int to = Math.min(data.size(), from + batch);
            DataSet ds = BatchSource.toDataSet(data, norm, from, to);
            INDArray probs = net.output(false, ds.getFeatures())[0];
            float[][] p = probs.toFloatMatrix();
            for (int i = 0; i < p.length; i++) {
                int label = data.labels()[from + i];
                nll -= Math.log(Math.max(MIN_PROBABILITY, p[i][label]));
                if (argmax(p[i]) == label) {
                    correct++;
                }
            }
        }
        return new Scores(nll / data.size(), (double) correct / data.size(), data.size());
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int k = 1; k < row.length; k++) {
            if (row[k] > row[best]) {
                best = k;
            }
        }
        return best;
    }
}
