package io.chorus.driver.eval;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;

import io.chorus.driver.run.Tasks;
import io.chorus.driver.scoring.Scoring;

/**
 * The class probabilities of every model of the library on one chunk of an evaluation split: the unit
 * of work of the distributed evaluation. Each task takes a chunk of whole batches and scores it with
 * {@link Scoring}, as batch prediction does, so the probabilities of an image do not depend on how the
 * split was cut into chunks; the networks come from the per-JVM {@link ModelStore}, so an executor loads
 * each model once whatever the number of chunks it evaluates.
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

    static final String HEADS = Scoring.HEADS;

    /** @param scope the evaluation these tasks belong to, for {@link ModelStore}'s cache */
    static Tasks.Body<Chunk, ChunkProbs> body(String scope, Tasks.Shared<EvalData> data,
                                             Tasks.Shared<ArrayList<ModelRef>> library, int batch, int threads) {
        return (chunk, conf) -> run(scope, chunk, data.get(), library.get(), batch, threads, conf);
    }

    static ChunkProbs run(String scope, Chunk chunk, EvalData data, List<ModelRef> library, int batch, int threads,
                          Configuration conf) throws IOException {
        List<Scoring.Model> models = new ArrayList<>();
        for (ModelRef r : library) {
            models.add(model(r));
        }
        Scoring.Result r = Scoring.score(scope, models, data.split(chunk.split()), chunk.from(), chunk.to(), batch,
                threads, data.spec().classes(), conf);
        return new ChunkProbs(chunk.split(), chunk.from(), chunk.to(), r.probs(), r.seconds());
    }

    /** What {@link Scoring} computes for a library entry. */
    static Scoring.Model model(ModelRef r) {
        return switch (r.kind()) {
            case HEAD -> new Scoring.Model(r.id(), r.path(), r.sha256(), r.normalization(),
                    Scoring.Model.plain("backbone of " + r.id(), r.headOf(), r.headOfSha256(), r.normalization()), 0, 0);
            case MC_DROPOUT -> new Scoring.Model(r.id(), r.path(), r.sha256(), r.normalization(), null, r.passes(),
                    r.seed());
            default -> Scoring.Model.plain(r.id(), r.path(), r.sha256(), r.normalization());
        };
    }
}
