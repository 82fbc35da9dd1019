package io.chorus.driver.predict;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;

import io.chorus.driver.eval.ModelStore;
import io.chorus.driver.scoring.Scoring;
import io.chorus.ensemble.combine.Combiner;
import io.chorus.ensemble.uncertainty.Uncertainty;
import io.chorus.worker.data.ImageData;

/**
 * Scores images with one {@link EnsembleSpec} wherever it runs (a Spark task, the driver): the members'
 * probabilities come from {@link Scoring}, the routine the evaluation uses (every network loaded once per
 * JVM through {@link ModelStore} after its checksum is checked, heads sharing one backbone pass per batch,
 * batches aligned to the images' indexes), then the spec's {@link Combiner} combines them and they are summarized
 * per image.
 */
public final class EnsemblePredictor {
    /** Cache scope of prediction in {@link ModelStore}: one per JVM, whatever the run. */
    static final String SCOPE = "predict";

    private EnsemblePredictor() {
    }

    /**
     * Per-image results.
     *
     * @param probability  the combiner's class probabilities (vote shares for a vote; temperature-scaled when
     *                     the spec is calibrated)
     * @param prediction   the combiner's predicted class (the vote's tie rule for a vote, else the most probable;
     *                     calibration keeps it)
     * @param uncertainty  predictive entropy, expected entropy, mutual information, vote margin: of the members'
     *                     mixture (weighted as the combiner weights them), which calibration does not change
     */
    public record Scores(double[][] probability, int[] prediction, Uncertainty.Measures uncertainty) {
    }

    /**
     * Scores images {@code [from, to)} of {@code images}, {@code batch} at a time; batch {@code k} is images
     * {@code [k * batch, (k + 1) * batch)} of {@code images} whatever the range.
     */
    public static Scores score(EnsembleSpec spec, ImageData images, int from, int to, int batch, Configuration conf)
            throws IOException {
        List<double[][]> members = memberProbabilities(spec, images, from, to, batch, conf);
        Combiner combiner = spec.combiner();
        return new Scores(combiner.combine(members), combiner.predict(members),
                Uncertainty.of(members, combiner.memberWeights(members.size())));
    }

    /**
     * Each model's probabilities on images {@code [from, to)}, in the spec's order, computed by
     * {@link Scoring} (batches aligned to absolute indexes of {@code images}, {@link Scoring#DEFAULT_THREADS}
     * threads) and widened to double, as eval/probs CSVs hold them.
     */
    static List<double[][]> memberProbabilities(EnsembleSpec spec, ImageData images, int from, int to, int batch,
                                                Configuration conf) throws IOException {
        List<Scoring.Model> models = new ArrayList<>();
        for (EnsembleSpec.Model m : spec.models()) {
            models.add(new Scoring.Model(m.id(), m.path(), m.sha256(), m.normalization(),
                    m.backbone() == null ? null : Scoring.Model.plain(m.backbone().id(), m.backbone().path(),
                            m.backbone().sha256(), m.backbone().normalization()), 0, 0));
        }
        int classes = spec.classes();
        Scoring.Result r = Scoring.score(SCOPE, models, images, from, to, batch, Scoring.DEFAULT_THREADS, classes, conf);
        List<double[][]> ordered = new ArrayList<>();
        for (EnsembleSpec.Model m : spec.models()) {
            float[] p = r.probs().get(m.id());
            double[][] rows = new double[to - from][classes];
            for (int i = 0; i < rows.length; i++) {
                for (int k = 0; k < classes; k++) {
                    rows[i][k] = p[i * classes + k];
                }
            }
            ordered.add(rows);
        }
        return ordered;
    }
}
