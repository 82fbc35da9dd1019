package io.chorus.driver.predict;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import io.chorus.driver.eval.ModelStore;
import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.combine.Average;
import io.chorus.ensemble.combine.Vote;
import io.chorus.ensemble.heads.Backbone;
import io.chorus.ensemble.heads.HeadEnsemble;
import io.chorus.ensemble.uncertainty.Uncertainty;
import io.chorus.worker.data.BatchSource;
import io.chorus.worker.data.ImageData;

/**
 * Scores images with one {@link EnsembleSpec} wherever it runs (a Spark task, the driver): every network is
 * loaded once per JVM through {@link ModelStore} after its checksum is checked, heads share one backbone
 * pass per batch, and the members' probabilities are combined and summarized per image.
 */
public final class EnsemblePredictor {
    /** Cache scope of prediction in {@link ModelStore}: one per JVM, whatever the run. */
    static final String SCOPE = "predict";

    private EnsemblePredictor() {
    }

    /**
     * Per-image results.
     *
     * @param probability  the ensemble's class probabilities (vote shares for a vote)
     * @param prediction   the predicted class (the vote's tie rule for a vote, else the most probable)
     * @param uncertainty  predictive entropy, expected entropy, mutual information, vote margin
     */
    public record Scores(double[][] probability, int[] prediction, Uncertainty.Measures uncertainty) {
    }

    /** Scores images {@code [from, to)} of {@code images}, {@code batch} at a time. */
    public static Scores score(EnsembleSpec spec, ImageData images, int from, int to, int batch, Configuration conf)
            throws IOException {
        List<double[][]> members = memberProbabilities(spec, images, from, to, batch, conf);
        double[][] p;
        int[] prediction;
        if (spec.vote()) {
            p = Vote.shares(members);
            prediction = Vote.predict(members);
        } else {
            p = Average.weighted(members, spec.weights());
            prediction = Probabilities.argmax(p);
        }
        return new Scores(p, prediction, Uncertainty.of(members, spec.weights()));
    }

    /** Each model's probabilities on images {@code [from, to)}, in the spec's order. */
    static List<double[][]> memberProbabilities(EnsembleSpec spec, ImageData images, int from, int to, int batch,
                                                Configuration conf) throws IOException {
        int n = to - from;
        Map<String, double[][]> out = new LinkedHashMap<>();
        Map<EnsembleSpec.Model, List<EnsembleSpec.Model>> heads = new LinkedHashMap<>();
        for (EnsembleSpec.Model m : spec.models()) {
            if (m.backbone() != null) {
                heads.computeIfAbsent(m.backbone(), b -> new ArrayList<>()).add(m);
                continue;
            }
            double[][] p = new double[n][];
            try (ModelStore.Lease lease = ModelStore.borrow(SCOPE, m.path(), m.sha256(), conf)) {
                for (int f = from; f < to; f += batch) {
                    int t = Math.min(to, f + batch);
                    INDArray x = BatchSource.toDataSet(images, m.normalization(), f, t).getFeatures();
                    copy(lease.net().output(false, x)[0], p, f - from);
                }
            }
            out.put(m.id(), p);
        }
        for (Map.Entry<EnsembleSpec.Model, List<EnsembleSpec.Model>> group : heads.entrySet()) {
            EnsembleSpec.Model b = group.getKey();
            List<ModelStore.Lease> leases = new ArrayList<>();
            try {
                leases.add(ModelStore.borrow(SCOPE, b.path(), b.sha256(), conf));
                List<ComputationGraph> nets = new ArrayList<>();
                for (EnsembleSpec.Model h : group.getValue()) {
                    leases.add(ModelStore.borrow(SCOPE, h.path(), h.sha256(), conf));
                    nets.add(leases.get(leases.size() - 1).net());
                    out.put(h.id(), new double[n][]);
                }
                HeadEnsemble ensemble = new HeadEnsemble(new Backbone(leases.get(0).net()), nets);
                for (int f = from; f < to; f += batch) {
                    int t = Math.min(to, f + batch);
                    List<INDArray> probs = ensemble.predict(BatchSource.toDataSet(images, b.normalization(), f, t)
                            .getFeatures());
                    for (int h = 0; h < nets.size(); h++) {
                        copy(probs.get(h), out.get(group.getValue().get(h).id()), f - from);
                    }
                }
            } finally {
                leases.forEach(ModelStore.Lease::close);
            }
        }
        List<double[][]> ordered = new ArrayList<>();
        for (EnsembleSpec.Model m : spec.models()) {
            ordered.add(out.get(m.id()));
        }
        return ordered;
    }

    /** Float outputs widened to double, as eval/probs CSVs hold them. */
    private static void copy(INDArray probs, double[][] into, int row) {
        float[][] m = probs.toFloatMatrix();
        for (int i = 0; i < m.length; i++) {
            double[] r = new double[m[i].length];
            for (int k = 0; k < r.length; k++) {
                r[k] = m[i][k];
            }
            into[row + i] = r;
        }
    }
}
