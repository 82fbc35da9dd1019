package io.chorus.driver.eval;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import io.chorus.driver.run.Tasks;
import io.chorus.ensemble.heads.Backbone;
import io.chorus.ensemble.heads.HeadEnsemble;
import io.chorus.ensemble.heads.McDropout;
import io.chorus.worker.data.BatchSource;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.Seeds;

/**
 * The class probabilities of every model of the library on one chunk of an evaluation split: the unit
 * of work of the distributed evaluation. Each task takes a chunk; the networks come from the per-JVM
 * {@link ModelStore}, so an executor loads each model once whatever the number of chunks it evaluates.
 * Tasks start at different models of the library so that two tasks of one executor rarely wait for the
 * same network.
 *
 * <p>Heads of an FC-head-only ensemble are evaluated together: one backbone pass per batch, then every
 * head on the same features.
 */
final class ProbabilityPass {

    private ProbabilityPass() {
    }

    /** Examples {@code [from, to)} of a split. */
    record Chunk(String split, int from, int to, int index) implements Serializable {
    }

    /**
     * Probabilities of each model on the chunk, row-major ({@code (to - from) x classes} floats), and the
     * seconds spent on each. Models that share a file share the computation. Heads have no time of their
     * own: the key {@value #HEADS} holds the time of the whole head ensemble (backbone passes and heads).
     */
    record ChunkProbs(String split, int from, int to, Map<String, float[]> probs, Map<String, Double> seconds)
            implements Serializable {
    }

    static final String HEADS = "heads/all";

    /** @param scope the evaluation these tasks belong to, for {@link ModelStore}'s cache */
    static Tasks.Body<Chunk, ChunkProbs> body(String scope, Tasks.Shared<EvalData> data,
                                             Tasks.Shared<ArrayList<ModelRef>> library, int batch) {
        return (chunk, conf) -> run(scope, chunk, data.get(), library.get(), batch, conf);
    }

    static ChunkProbs run(String scope, Chunk chunk, EvalData data, List<ModelRef> library, int batch,
                          Configuration conf) throws IOException {
        ImageData split = data.split(chunk.split());
        int classes = data.spec().classes();
        Map<String, float[]> probs = new LinkedHashMap<>();
        Map<String, Double> seconds = new LinkedHashMap<>();
        Map<String, String> byPath = new HashMap<>();

        // Heads grouped by backbone; everything else one by one, starting at a chunk-dependent offset.
        Map<String, List<ModelRef>> heads = new LinkedHashMap<>();
        List<ModelRef> singles = new ArrayList<>();
        for (ModelRef r : library) {
            if (r.kind() == ModelRef.Kind.HEAD) {
                heads.computeIfAbsent(r.headOf() + "#" + r.headOfSha256(), k -> new ArrayList<>()).add(r);
            } else {
                singles.add(r);
            }
        }
        int n = chunk.to() - chunk.from();
        for (int k = 0; k < singles.size(); k++) {
            ModelRef r = singles.get((k + chunk.index()) % singles.size());
            String same = byPath.get(r.path() + "#" + r.kind());
            if (same != null) {
                probs.put(r.id(), probs.get(same));
                seconds.put(r.id(), seconds.get(same));
                continue;
            }
            // Loading is not inference: the clock starts once the network is in memory.
            ComputationGraph net = ModelStore.load(scope, r.path(), r.sha256(), conf);
            float[] p = new float[n * classes];
            long start;
            if (r.kind() == ModelRef.Kind.MC_DROPOUT) {
                synchronized (net) {
                    start = System.nanoTime();
                    Backbone b = new Backbone(net);
                    ComputationGraph head = b.memberHead();
                    for (int from = chunk.from(); from < chunk.to(); from += batch) {
                        int to = Math.min(chunk.to(), from + batch);
                        INDArray x = BatchSource.toDataSet(split, r.normalization(), from, to).getFeatures();
                        // Seeded by the position of the batch's first example: the same chunks give the same result.
                        copy(McDropout.predict(b, head, x, r.passes(), Seeds.mix(r.seed(), from)), p, from - chunk.from(), classes);
                    }
                }
            } else {
                synchronized (net) {
                    start = System.nanoTime();
                    for (int from = chunk.from(); from < chunk.to(); from += batch) {
                        int to = Math.min(chunk.to(), from + batch);
                        INDArray x = BatchSource.toDataSet(split, r.normalization(), from, to).getFeatures();
                        copy(net.output(false, x)[0], p, from - chunk.from(), classes);
                    }
                }
            }
            probs.put(r.id(), p);
            seconds.put(r.id(), (System.nanoTime() - start) / 1e9);
            byPath.put(r.path() + "#" + r.kind(), r.id());
        }
        for (List<ModelRef> group : heads.values()) {
            ModelRef first = group.get(0);
            ComputationGraph backboneNet = ModelStore.load(scope, first.headOf(), first.headOfSha256(), conf);
            List<ComputationGraph> nets = new ArrayList<>();
            for (ModelRef r : group) {
                nets.add(ModelStore.load(scope, r.path(), r.sha256(), conf));
                probs.put(r.id(), new float[n * classes]);
            }
            synchronized (backboneNet) {
                HeadEnsemble ensemble = new HeadEnsemble(new Backbone(backboneNet), nets);
                long start = System.nanoTime();
                for (int from = chunk.from(); from < chunk.to(); from += batch) {
                    int to = Math.min(chunk.to(), from + batch);
                    INDArray x = BatchSource.toDataSet(split, first.normalization(), from, to).getFeatures();
                    List<INDArray> out = ensemble.predict(x);
                    for (int h = 0; h < group.size(); h++) {
                        copy(out.get(h), probs.get(group.get(h).id()), from - chunk.from(), classes);
                    }
                }
                seconds.merge(HEADS, (System.nanoTime() - start) / 1e9, Double::sum);
            }
        }
        return new ChunkProbs(chunk.split(), chunk.from(), chunk.to(), probs, seconds);
    }

    private static void copy(INDArray probs, float[] into, int row, int classes) {
        float[][] m = probs.toFloatMatrix();
        for (int i = 0; i < m.length; i++) {
            if (m[i].length != classes) {
                throw new IllegalStateException("a model gives " + m[i].length + " class probabilities; the data has "
                        + classes + " classes");
            }
            System.arraycopy(m[i], 0, into, (row + i) * classes, classes);
        }
    }
}
