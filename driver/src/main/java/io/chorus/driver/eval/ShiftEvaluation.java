package io.chorus.driver.eval;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.config.JobConfig;
import io.chorus.driver.config.Keys;
import io.chorus.driver.config.ShiftKindsSetting;
import io.chorus.driver.run.Tasks;
import io.chorus.driver.scoring.Scoring;
import io.chorus.worker.Seeds;
import io.chorus.worker.data.Corruptions;
import io.chorus.worker.data.ImageData;

/**
 * The dataset-shift part of the evaluation ({@code evaluate.shift}): the first {@code evaluate.shift_limit}
 * test images under each corruption of {@code evaluate.shift_kinds} at severities 1..5, scored by the models
 * the shift metrics combine (every member's final network, the trajectory averages, the heads, and the
 * snapshots of the best member's snapshot ensemble), one Spark task per (kind, severity, chunk of whole
 * scoring batches). Image {@code i} under a corruption is {@link Corruptions#corrupt} of that image alone with
 * the seed {@code Seeds.mix(shift seed, i)}, so it does not depend on how the images were cut into tasks; the
 * shift seed derives from the job seed.
 */
final class ShiftEvaluation {
    static final String PROBS_SHIFT = "probs-shift";
    /** Key of eval/models.json's settings holding the shift evaluation's plan. */
    static final String SETTINGS = "shift";
    private static final long SHIFT_SEED = 0x5348494654L;

    /**
     * What is scored under shift.
     *
     * @param kinds      the corruption kinds, in the key's order
     * @param examples   the first test images scored
     * @param seed       the corruption seed
     * @param bestMember the member whose snapshot ensemble is scored (highest last-epoch validation accuracy)
     * @param models     the models scored
     */
    record Plan(List<Corruptions.Kind> kinds, int examples, long seed, String bestMember, List<ModelRef> models)
            implements Serializable {

        List<String> kindNames() {
            return kinds.stream().map(ShiftKindsSetting::name).toList();
        }

        /** The plan as eval/models.json records it (settings.shift), which the shift metrics read back. */
        Map<String, Object> settings(int limit) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kinds", kindNames());
            m.put("severities", Corruptions.SEVERITIES);
            m.put("limit", limit);
            m.put("examples", examples);
            m.put("seed", seed);
            m.put("best_member", bestMember);
            m.put("models", models.stream().map(ModelRef::id).toList());
            return m;
        }
    }

    /** Images {@code [from, to)} of the test split under one kind at one severity. */
    record Chunk(Corruptions.Kind kind, int severity, int from, int to) implements Serializable {
    }

    /** Each model's probabilities on a chunk, {@code (to - from) x classes} floats, row-major. */
    record ChunkProbs(Chunk chunk, Map<String, float[]> probs) implements Serializable {
    }

    private ShiftEvaluation() {
    }

    /**
     * The plan for a library whose derived models are built: members' finals, SWA models, heads, and the
     * snapshots the snapshot ensemble of member {@code best} averages (as {@link EnsembleReport} chooses them:
     * its cycle-end snapshots when it has at least two, else all, the last ensemble.snapshot_last of them).
     */
    static Plan plan(JobConfig config, int testSize, List<ModelRef> library, int best) {
        int limit = config.get(Keys.EVALUATE_SHIFT_LIMIT);
        int examples = limit == 0 ? testSize : Math.min(limit, testSize);
        List<ModelRef> snaps = library.stream().filter(r -> r.kind() == ModelRef.Kind.SNAPSHOT && r.member() == best)
                .sorted((a, b) -> Long.compare(a.iteration(), b.iteration())).toList();
        List<ModelRef> cycles = snaps.stream().filter(r -> r.snapshotKinds().contains("cycle")).toList();
        List<ModelRef> pool = cycles.size() >= 2 ? cycles : snaps;
        int last = config.get(Keys.ENSEMBLE_SNAPSHOT_LAST);
        List<ModelRef> chosen = pool.subList(Math.max(0, pool.size() - last), pool.size());
        List<ModelRef> models = new ArrayList<>();
        for (ModelRef r : library) {
            boolean wanted = switch (r.kind()) {
                case MEMBER, SWA, HEAD -> true;
                case SNAPSHOT -> chosen.size() >= 2 && chosen.contains(r);
                default -> false;
            };
            if (wanted) {
                models.add(r);
            }
        }
        return new Plan(ShiftKindsSetting.parse(config.get(Keys.EVALUATE_SHIFT_KINDS)), examples,
                Seeds.mix(SHIFT_SEED, config.seed()), "m" + best, models);
    }

    /** Every (kind, severity) cut into the chunks of whole scoring batches the test split is cut into. */
    static List<Chunk> chunks(Plan plan, int tasks, int batch) {
        List<Chunk> chunks = new ArrayList<>();
        for (Corruptions.Kind kind : plan.kinds()) {
            for (int s = 1; s <= Corruptions.SEVERITIES; s++) {
                for (int[] r : Scoring.ranges(plan.examples(), tasks, batch)) {
                    if (r[1] > r[0]) {
                        chunks.add(new Chunk(kind, s, r[0], r[1]));
                    }
                }
            }
        }
        return chunks;
    }

    static Tasks.Body<Chunk, ChunkProbs> body(String scope, Tasks.Shared<EvalData> data, Tasks.Shared<Plan> plan,
                                             int batch, int threads) {
        return (chunk, conf) -> run(scope, chunk, data.get(), plan.get(), batch, threads, conf);
    }

    static ChunkProbs run(String scope, Chunk chunk, EvalData data, Plan plan, int batch, int threads,
                          Configuration conf) throws IOException {
        if (chunk.from() % batch != 0) {
            throw new IllegalArgumentException("a shift chunk must start on a scoring batch, got image " + chunk.from()
                    + " with batches of " + batch);
        }
        ImageData images = corrupt(data.test(), chunk.from(), chunk.to(), chunk.kind(), chunk.severity(), plan.seed());
        List<Scoring.Model> models = plan.models().stream().map(ProbabilityPass::model).toList();
        // The chunk starts on a batch boundary, so its batches are the same images as those of the whole split.
        Scoring.Result r = Scoring.score(scope, models, images, 0, images.size(), batch, threads,
                data.spec().classes(), conf);
        return new ChunkProbs(chunk, r.probs());
    }

    /** Test images {@code [from, to)} under {@code kind} at {@code severity}, each seeded by its own index. */
    static ImageData corrupt(ImageData test, int from, int to, Corruptions.Kind kind, int severity, long seed) {
        int per = test.shape().pixels();
        byte[] pixels = new byte[(to - from) * per];
        for (int i = from; i < to; i++) {
            ImageData one = Corruptions.corrupt(test.select(new int[] {i}), kind, severity, Seeds.mix(seed, i));
            System.arraycopy(one.pixels(), 0, pixels, (i - from) * per, per);
        }
        return new ImageData(test.shape(), pixels, Arrays.copyOfRange(test.labels(), from, to), test.numClasses());
    }

    /** Writes eval/probs-shift/<model-id>.csv.gz of every model of the plan. */
    static void write(FileSystem fs, Path staging, Plan plan, int[] testLabels, int classes, List<ChunkProbs> results)
            throws IOException {
        Path dir = new Path(staging, PROBS_SHIFT);
        fs.mkdirs(dir);
        int[] labels = Arrays.copyOf(testLabels, plan.examples());
        int conditions = plan.kinds().size() * Corruptions.SEVERITIES;
        for (ModelRef m : plan.models()) {
            float[][] full = new float[conditions][plan.examples() * classes];
            for (ChunkProbs c : results) {
                float[] p = c.probs().get(m.id());
                int k = plan.kinds().indexOf(c.chunk().kind());
                System.arraycopy(p, 0, full[ShiftProbs.condition(k, c.chunk().severity())], c.chunk().from() * classes,
                        p.length);
            }
            ShiftProbs.write(fs, new Path(dir, m.id() + ShiftProbs.SUFFIX), plan.kindNames(), labels, full, classes);
        }
    }
}
