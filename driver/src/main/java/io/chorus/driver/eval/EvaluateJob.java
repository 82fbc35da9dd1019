package io.chorus.driver.eval;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.BadInputException;
import io.chorus.driver.config.JobConfig;
import io.chorus.driver.config.Keys;
import io.chorus.driver.run.RunLayout;
import io.chorus.driver.run.Tasks;
import io.chorus.driver.scoring.Scoring;
import io.chorus.ensemble.heads.HeadSpec;
import io.chorus.worker.Seeds;
import io.chorus.worker.data.Corruptions;
import io.chorus.worker.data.DataFormatException;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;
import io.chorus.worker.train.DataSpec;
import io.chorus.worker.train.EpochMetrics;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.MemberStatus;
import io.chorus.worker.train.SnapshotKind;
import io.chorus.worker.train.SnapshotRecord;
import io.chorus.worker.train.SnapshotStore;

/**
 * {@code chorus evaluate}: turns a trained run into probabilities and numbers, in four steps.
 * <ol>
 *   <li>List the library: every finished member's final network and each of its snapshots whose checksum
 *       verifies. A member whose final snapshot fails its checksum is evaluated as its newest snapshot that
 *       verifies, and the console, eval/models.json and eval/metrics.json say so. Diverged and failed
 *       members are excluded from everything, and say so.</li>
 *   <li>Build derived models in Spark tasks: each member's trajectory average over its SWA snapshots
 *       (batch-norm statistics recomputed), the cross-member average if asked for, the heads of an
 *       FC-head-only ensemble.</li>
 *   <li>Compute every model's class probabilities on the validation and test splits in Spark tasks, the
 *       splits cut into chunks, each network loaded once per executor; write them as CSV files. With
 *       evaluate.shift, also those of the models ensembles need on corrupted test images ({@link ShiftEvaluation}).</li>
 *   <li>Write eval/models.json, then eval/metrics.json from the files alone ({@link EnsembleReport}).</li>
 * </ol>
 * Everything is written into a fresh staging directory that replaces eval/ only once complete, so a
 * failed evaluation leaves the previous one intact.
 */
public final class EvaluateJob {
    public static final String EVAL = RunLayout.EVAL;
    public static final String PROBS = "probs";
    public static final String PROBS_VALIDATION = "probs-validation";
    public static final String MODELS = "models";
    private static final long HEADS_SEED = 0x4845414453L;
    private static final long MC_DROPOUT_SEED = 0x4d4344L;
    private static final double HEAD_LR = 0.01;

    private final Configuration hadoop;
    private final PrintStream out;

    public EvaluateJob(Configuration hadoop, PrintStream out) {
        this.hadoop = hadoop;
        this.out = out;
    }

    /**
     * Evaluates the run in {@code runDir} with the given configuration (the run's job.yaml).
     *
     * @param dataDir the data directory to read instead of the configured one, or null
     * @return the metrics tree written to eval/metrics.json
     */
    public Map<String, Object> run(JobConfig config, Path runDir, Tasks tasks, String dataDir)
            throws IOException, BadInputException {
        long started = System.nanoTime();
        FileSystem fs = HadoopFiles.fileSystem(runDir, hadoop);
        DataSpec configured = config.dataSpec();
        DataSpec spec = dataDir == null ? configured : new DataSpec(dataDir, configured.classes(), configured.limit(),
                configured.validation(), configured.augmentation(), configured.bootstrap());
        EvalData data;
        try {
            data = EvalData.read(spec, config.seed(), config.get(Keys.EVALUATE_TEST_LIMIT),
                    trainedShape(fs, runDir, config.members()), hadoop);
        } catch (DataFormatException | FileNotFoundException | IllegalArgumentException e) {
            throw new BadInputException("data: " + e.getMessage(), e);
        }

        Path staging = new Path(runDir, EVAL + ".tmp-" + UUID.randomUUID().toString().substring(0, 8));
        fs.mkdirs(new Path(staging, MODELS));
        EvalManifest manifest = new EvalManifest();
        manifest.classes = spec.classes();
        manifest.settings.put("weights", config.get(Keys.ENSEMBLE_WEIGHTS));
        manifest.settings.put("snapshot_last", config.get(Keys.ENSEMBLE_SNAPSHOT_LAST));
        manifest.settings.put("selection_rounds", config.get(Keys.ENSEMBLE_SELECTION_ROUNDS));
        try {
            List<ModelRef> library = new ArrayList<>();
            Map<String, EvalManifest.Entry> entries = new LinkedHashMap<>();
            Map<Integer, ModelRef> finals = new LinkedHashMap<>();
            Map<Integer, List<ModelRef>> swaPoints = new LinkedHashMap<>();
            Map<Integer, Double> lastValAccuracy = new LinkedHashMap<>();
            listMembers(fs, runDir, config, manifest, library, entries, finals, swaPoints, lastValAccuracy);
            if (finals.isEmpty()) {
                throw new BadInputException(runDir + ": no finished member to evaluate"
                        + (manifest.excluded.isEmpty() ? "" : " (" + String.join("; ", manifest.excluded) + ")"));
            }

            List<DerivedModels.Item> items = derivedItems(config, staging, finals, swaPoints, manifest);
            Tasks.Shared<EvalData> shared = tasks.share(data);
            if (!items.isEmpty()) {
                out.printf(Locale.ROOT, "chorus: evaluate: building %d derived model(s)%n", items.size());
                for (DerivedModels.Built b : tasks.map("chorus-eval-build", "Chorus: trajectory averages and heads",
                        items, DerivedModels.body(staging.getName(), shared))) {
                    DerivedModels.Item item = items.stream().filter(i -> i.id().equals(b.id())).findFirst().orElseThrow();
                    ModelRef ref = derivedRef(item, b, finals);
                    library.add(ref);
                    EvalManifest.Entry e = entry(ref, runDir);
                    e.parameters = b.parameters();
                    e.buildSeconds = b.seconds();
                    e.note = b.note();
                    TrainingCost source = TrainingCost.ofEnsemble(sourceIds(item), entries);
                    if (source != null) {
                        source.plusBuild(b.seconds(), 1).into(e);
                    }
                    entries.put(ref.id(), e);
                }
            }
            int passes = config.get(Keys.MC_DROPOUT_PASSES);
            if (passes > 0) {
                int best = bestMember(lastValAccuracy);
                ModelRef f = finals.get(best);
                ModelRef mcd = new ModelRef("m" + best + "-mcd", ModelRef.Kind.MC_DROPOUT, best, f.path(), f.sha256(),
                        f.normalization(), f.epoch(), f.iteration(), List.of(), f.path(), f.sha256(), passes,
                        Seeds.mix(MC_DROPOUT_SEED, config.seed()));
                library.add(mcd);
                EvalManifest.Entry e = entry(mcd, runDir);
                e.parameters = entries.get("m" + best).parameters;
                TrainingCost mcCost = TrainingCost.of(entries.get("m" + best));
                if (mcCost != null) {
                    mcCost.into(e);
                }
                e.note = passes + " stochastic passes of member " + best + " (the highest validation accuracy at its "
                        + "last epoch) with dropout on";
                entries.put(mcd.id(), e);
            }

            int batch = config.get(Keys.EVALUATE_BATCH);
            // One scoring task per slot of train.threads cores: the thread count the members trained with.
            int threads = config.get(Keys.TRAIN_THREADS);
            manifest.settings.put("scoring_batch", batch);
            manifest.settings.put("scoring_threads", threads);
            List<ProbabilityPass.Chunk> chunks = chunks(data, config.get(Keys.EVALUATE_TASKS), tasks.slots(), batch);
            out.printf(Locale.ROOT, "chorus: evaluate: class probabilities of %d model(s) on %d test and %d validation "
                    + "images in %d task(s)%n", library.size(), data.test().size(), data.prepared().validation().size(),
                    chunks.size());
            List<ProbabilityPass.ChunkProbs> results = tasks.map("chorus-eval-probs", "Chorus: class probabilities",
                    chunks, ProbabilityPass.body(staging.getName(), shared, tasks.share(new ArrayList<>(library)), batch,
                            threads));
            writeProbabilities(fs, staging, data, library, results, entries, manifest);
            if (config.get(Keys.EVALUATE_SHIFT)) {
                shift(config, fs, staging, data, library, bestMember(lastValAccuracy), tasks, shared, manifest);
            }

            manifest.models = new ArrayList<>(entries.values());
            manifest.testExamples = data.test().size();
            manifest.validationExamples = data.prepared().validation().size();
            HadoopFiles.writeAtomically(fs, new Path(staging, EvalManifest.NAME), Json.write(manifest));
            Map<String, Object> metrics = EnsembleReport.write(fs, staging);
            commit(fs, runDir, staging);
            out.printf(Locale.ROOT, "chorus: evaluate: %s written in %.1f s%n", new Path(new Path(runDir, EVAL),
                    EnsembleReport.NAME), (System.nanoTime() - started) / 1e9);
            return metrics;
        } catch (IOException | BadInputException | RuntimeException e) {
            fs.delete(staging, true);
            throw e;
        }
    }

    /** The member with the highest validation accuracy at its last epoch (the first of equals). */
    private static int bestMember(Map<Integer, Double> lastValAccuracy) {
        return lastValAccuracy.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    /**
     * Scores the first evaluate.shift_limit test images under every corruption and severity
     * ({@link ShiftEvaluation}), writes eval/probs-shift/ and records the plan in the manifest's settings.
     */
    private void shift(JobConfig config, FileSystem fs, Path staging, EvalData data, List<ModelRef> library, int best,
                       Tasks tasks, Tasks.Shared<EvalData> shared, EvalManifest manifest) throws IOException {
        int batch = config.get(Keys.EVALUATE_BATCH);
        ShiftEvaluation.Plan plan = ShiftEvaluation.plan(config, data.test().size(), library, best);
        List<ShiftEvaluation.Chunk> chunks = ShiftEvaluation.chunks(plan,
                taskCount(config.get(Keys.EVALUATE_TASKS), tasks.slots()), batch);
        out.printf(Locale.ROOT, "chorus: evaluate: dataset shift: %d model(s) on %d test images under %d corruption(s) "
                + "x %d severities in %d task(s)%n", plan.models().size(), plan.examples(), plan.kinds().size(),
                Corruptions.SEVERITIES, chunks.size());
        List<ShiftEvaluation.ChunkProbs> results = tasks.map("chorus-eval-shift",
                "Chorus: class probabilities under dataset shift", chunks, ShiftEvaluation.body(staging.getName(),
                        shared, tasks.share(plan), batch, config.get(Keys.TRAIN_THREADS)));
        ShiftEvaluation.write(fs, staging, plan, data.test().labels(), data.spec().classes(), results);
        manifest.settings.put(ShiftEvaluation.SETTINGS, plan.settings(config.get(Keys.EVALUATE_SHIFT_LIMIT)));
        manifest.notes.add("dataset shift: the best member is " + plan.bestMember() + " (highest validation accuracy "
                + "at its last epoch, as for MC dropout); selection, MC dropout and the cross-member average are not "
                + "scored under shift (selection would need every snapshot of every member, MC dropout its passes "
                + "per image)");
    }

    /**
     * The image shape the run's finished members were trained on, as their member.json records it; null if no
     * finished member records one (what is wrong with the members is then listMembers' to say).
     */
    private static ImageShape trainedShape(FileSystem fs, Path runDir, int members) {
        for (int i = 0; i < members; i++) {
            try {
                Optional<MemberManifest> m = new SnapshotStore(fs, RunLayout.memberDir(runDir, i)).readManifest();
                if (m.isPresent() && m.get().getStatus() == MemberStatus.FINISHED && m.get().getInput() != null) {
                    return m.get().getInput();
                }
            } catch (IOException unreadable) {
                // listMembers reports it
            }
        }
        return null;
    }

    private void listMembers(FileSystem fs, Path runDir, JobConfig config, EvalManifest manifest, List<ModelRef> library,
                             Map<String, EvalManifest.Entry> entries, Map<Integer, ModelRef> finals,
                             Map<Integer, List<ModelRef>> swaPoints, Map<Integer, Double> lastValAccuracy)
            throws IOException {
        int threads = config.get(Keys.TRAIN_THREADS);
        for (int i = 0; i < config.trainedModels(); i++) {
            boolean reference = config.reference().isPresent() && config.reference().getAsInt() == i;
            ModelRef.Kind finalKind = reference ? ModelRef.Kind.SINGLE_BUDGET : ModelRef.Kind.MEMBER;
            Path dir = RunLayout.memberDir(runDir, i);
            SnapshotStore store = new SnapshotStore(fs, dir);
            Optional<MemberManifest> mm = store.readManifest();
            if (mm.isEmpty()) {
                manifest.excluded.add("m" + i + ": never started (no member.json)");
                continue;
            }
            MemberManifest m = mm.get();
            if (m.getStatus() != MemberStatus.FINISHED) {
                manifest.excluded.add("m" + i + ": " + m.getStatus().configName()
                        + (m.getReason() == null ? "" : " (" + m.getReason() + ")"));
                continue;
            }
            List<SnapshotRecord> snaps = m.getSnapshots();
            ModelRef fin = null;
            SnapshotRecord corruptFinal = null;
            List<ModelRef> members = new ArrayList<>();
            List<ModelRef> swa = new ArrayList<>();
            for (int j = 0; j < snaps.size(); j++) {
                SnapshotRecord s = snaps.get(j);
                if (!store.verify(s)) {
                    if (s.hasKind(SnapshotKind.FINAL)) {
                        corruptFinal = s;
                    } else {
                        manifest.notes.add("m" + i + ": snapshot " + s.path() + " fails its checksum; not used");
                    }
                    continue;
                }
                String path = new Path(dir, s.path()).toString();
                ModelRef ref = new ModelRef("m" + i + "-s" + j, ModelRef.Kind.SNAPSHOT, i, path, s.sha256(),
                        m.getNormalization(), s.epoch(), s.iteration(), s.kind(), null, null, 0, 0);
                members.add(ref);
                if (s.hasKind(SnapshotKind.SWA)) {
                    swa.add(ref);
                }
                if (s.hasKind(SnapshotKind.FINAL)) {
                    fin = new ModelRef("m" + i, finalKind, i, path, s.sha256(), m.getNormalization(),
                            s.epoch(), s.iteration(), s.kind(), null, null, 0, 0);
                }
            }
            Fallback fallback = null;
            if (fin == null && corruptFinal != null && !members.isEmpty()) {
                // The member is still a trained network: its newest snapshot that verifies stands in for it.
                ModelRef newest = members.stream().max(java.util.Comparator.comparingLong(ModelRef::iteration))
                        .orElseThrow();
                fin = new ModelRef("m" + i, finalKind, i, newest.path(), newest.sha256(),
                        newest.normalization(), newest.epoch(), newest.iteration(), newest.snapshotKinds(), null, null,
                        0, 0);
                fallback = new Fallback(relative(runDir, new Path(dir, corruptFinal.path()).toString()),
                        relative(runDir, newest.path()), newest.id(), newest.epoch(), newest.iteration());
                String why = fs.exists(new Path(dir, corruptFinal.path())) ? "fails its checksum" : "is missing";
                String note = "m" + i + ": final snapshot " + fallback.corrupt() + " " + why + "; the member is "
                        + "evaluated as its newest verified snapshot " + fallback.used() + " (" + newest.id()
                        + ", epoch " + newest.epoch() + ", iteration " + newest.iteration() + ")";
                manifest.notes.add(note);
                out.println("chorus: evaluate: " + note);
            }
            if (fin == null) {
                manifest.excluded.add("m" + i + ": " + (corruptFinal == null ? "no final snapshot is listed"
                        : "its final snapshot " + corruptFinal.path() + " fails its checksum and no other snapshot verifies"));
                continue;
            }
            swaPoints.put(i, swa);
            List<EpochMetrics> epochs = m.getEpochs();
            if (!reference) {
                // the reference model is compared with the ensemble, never part of one or a backbone
                finals.put(i, fin);
                double acc = epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).valAccuracy();
                lastValAccuracy.put(i, Double.isNaN(acc) ? 0.0 : acc);
            }
            library.add(fin);
            EvalManifest.Entry e = entry(fin, runDir);
            e.parameters = m.getParameters();
            TrainingCost.of(epochs, fin.epoch(), threads).into(e);
            if (fallback != null) {
                e.fallback = fallback.asMap();
                e.note = "member " + i + ", snapshot at epoch " + fallback.epoch() + " (" + fallback.snapshot()
                        + "): its final snapshot fails its checksum or is missing";
            }
            entries.put(fin.id(), e);
            for (ModelRef r : members) {
                library.add(r);
                EvalManifest.Entry se = entry(r, runDir);
                se.parameters = m.getParameters();
                TrainingCost.of(epochs, r.epoch(), threads).into(se);
                entries.put(r.id(), se);
            }
        }
    }

    /** A member evaluated as one of its snapshots because its final snapshot failed its checksum. */
    private record Fallback(String corrupt, String used, String snapshot, int epoch, long iteration) {
        Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("corrupt", corrupt);
            m.put("used", used);
            m.put("snapshot", snapshot);
            m.put("epoch", epoch);
            m.put("iteration", iteration);
            return m;
        }
    }

    private List<DerivedModels.Item> derivedItems(JobConfig config, Path staging, Map<Integer, ModelRef> finals,
                                                  Map<Integer, List<ModelRef>> swaPoints, EvalManifest manifest) {
        List<DerivedModels.Item> items = new ArrayList<>();
        int bnBatch = config.trainSpec().batch();
        Path models = new Path(staging, MODELS);
        for (Map.Entry<Integer, List<ModelRef>> e : swaPoints.entrySet()) {
            if (e.getValue().size() >= 2) {
                String id = "m" + e.getKey() + "-swa";
                items.add(new DerivedModels.Swa(id, e.getKey(), e.getValue(), bnBatch, new Path(models, id + ".zip").toString()));
            } else if (config.get(Keys.SWA_EVERY) > 0) {
                manifest.notes.add("m" + e.getKey() + ": " + e.getValue().size() + " SWA snapshot(s); at least 2 are "
                        + "needed for a trajectory average");
            }
        }
        if (config.get(Keys.ENSEMBLE_CROSS_AVERAGE)) {
            if (finals.size() >= 2) {
                items.add(new DerivedModels.CrossAverage("cross-average", new ArrayList<>(finals.values()), bnBatch,
                        new Path(models, "cross-average.zip").toString()));
            } else {
                manifest.notes.add("ensemble.cross_average: needs at least 2 finished members");
            }
        }
        int heads = config.get(Keys.HEADS_COUNT);
        if (heads > 0) {
            int b = config.get(Keys.HEADS_BACKBONE);
            ModelRef backbone = finals.get(b);
            if (backbone == null) {
                manifest.notes.add("heads: backbone member " + b + " did not finish; no head ensemble");
            } else {
                for (int k = 0; k < heads; k++) {
                    HeadSpec hs = new HeadSpec(config.get(Keys.HEADS_LAYERS), config.get(Keys.HEADS_HIDDEN),
                            config.get(Keys.HEADS_EPOCHS), config.trainSpec().batch(), HEAD_LR,
                            Seeds.mix(HEADS_SEED, config.seed(), k), config.get(Keys.HEADS_BOOTSTRAP));
                    String id = "heads-h" + k;
                    items.add(new DerivedModels.Head(id, k, backbone, hs, new Path(models, id + ".zip").toString()));
                }
            }
        }
        return items;
    }

    /** The library models a derived model is built from, for its training cost. */
    private static List<String> sourceIds(DerivedModels.Item item) {
        if (item instanceof DerivedModels.Swa s) {
            return s.snapshots().stream().map(ModelRef::id).toList();
        }
        if (item instanceof DerivedModels.CrossAverage c) {
            return c.finals().stream().map(ModelRef::id).toList();
        }
        return List.of(((DerivedModels.Head) item).backbone().id());
    }

    private static ModelRef derivedRef(DerivedModels.Item item, DerivedModels.Built b, Map<Integer, ModelRef> finals) {
        if (item instanceof DerivedModels.Swa s) {
            ModelRef first = s.snapshots().get(0);
            return ModelRef.plain(b.id(), ModelRef.Kind.SWA, s.member(), b.path(), b.sha256(), first.normalization());
        }
        if (item instanceof DerivedModels.CrossAverage c) {
            return ModelRef.plain(b.id(), ModelRef.Kind.CROSS_AVERAGE, -1, b.path(), b.sha256(),
                    c.finals().get(0).normalization());
        }
        DerivedModels.Head h = (DerivedModels.Head) item;
        ModelRef bb = h.backbone();
        return new ModelRef(b.id(), ModelRef.Kind.HEAD, bb.member(), b.path(), b.sha256(), bb.normalization(), 0, 0,
                List.of(), bb.path(), bb.sha256(), 0, 0);
    }

    private static EvalManifest.Entry entry(ModelRef r, Path runDir) {
        EvalManifest.Entry e = new EvalManifest.Entry();
        e.id = r.id();
        e.kind = r.kind().configName();
        e.member = r.member();
        e.path = relative(runDir, r.path());
        e.sha256 = r.sha256();
        e.epoch = r.epoch();
        e.iteration = r.iteration();
        e.snapshotKinds = new ArrayList<>(r.snapshotKinds());
        return e;
    }

    /** Paths in eval/models.json are relative to the run directory, so a moved run stays readable. */
    private static String relative(Path runDir, String path) {
        String root = runDir.toString() + "/";
        String p = path.startsWith(root) ? path.substring(root.length()) : path;
        return p.replaceFirst("^" + EVAL + "\\.tmp-[0-9a-f]+/", EVAL + "/");
    }

    /**
     * Each split cut into at most {@code tasks} chunks of whole scoring batches (fewer when a split has fewer
     * batches), so that no batch is scored twice.
     */
    static List<ProbabilityPass.Chunk> chunks(EvalData data, int configuredTasks, int slots, int batch)
            throws IOException {
        int tasks = taskCount(configuredTasks, slots);
        List<ProbabilityPass.Chunk> chunks = new ArrayList<>();
        int index = 0;
        for (String split : List.of(EvalData.Split.TEST, EvalData.Split.VALIDATION)) {
            int n = data.split(split).size();
            for (int[] r : Scoring.ranges(n, tasks, batch)) {
                if (r[1] > r[0]) {
                    chunks.add(new ProbabilityPass.Chunk(split, r[0], r[1], index++));
                }
            }
        }
        return chunks;
    }

    /** evaluate.tasks, or two per slot when it is 0. */
    private static int taskCount(int configuredTasks, int slots) {
        return configuredTasks > 0 ? configuredTasks : 2 * Math.max(1, slots);
    }

    private static void writeProbabilities(FileSystem fs, Path staging, EvalData data, List<ModelRef> library,
                                           List<ProbabilityPass.ChunkProbs> results, Map<String, EvalManifest.Entry> entries,
                                           EvalManifest manifest) throws IOException {
        int classes = data.spec().classes();
        for (String split : List.of(EvalData.Split.TEST, EvalData.Split.VALIDATION)) {
            int[] labels = data.split(split).labels();
            Path dir = new Path(staging, split.equals(EvalData.Split.TEST) ? PROBS : PROBS_VALIDATION);
            fs.mkdirs(dir);
            Map<String, float[]> full = new LinkedHashMap<>();
            Map<String, Double> seconds = new LinkedHashMap<>();
            for (ModelRef r : library) {
                full.put(r.id(), new float[labels.length * classes]);
            }
            for (ProbabilityPass.ChunkProbs c : results) {
                if (!c.split().equals(split)) {
                    continue;
                }
                for (Map.Entry<String, float[]> e : c.probs().entrySet()) {
                    System.arraycopy(e.getValue(), 0, full.get(e.getKey()), c.from() * classes, e.getValue().length);
                }
                c.seconds().forEach((k, v) -> seconds.merge(k, v, Double::sum));
            }
            for (ModelRef r : library) {
                ProbsCsv.write(fs, new Path(dir, r.id() + ".csv"), 0, labels, full.get(r.id()), classes);
            }
            if (split.equals(EvalData.Split.TEST)) {
                for (ModelRef r : library) {
                    entries.get(r.id()).inferenceSeconds = seconds.get(r.id());
                }
                manifest.headsInferenceSeconds = seconds.get(ProbabilityPass.HEADS);
            }
        }
    }

    /** Replaces eval/ with the complete staging directory. */
    private static void commit(FileSystem fs, Path runDir, Path staging) throws IOException {
        HadoopFiles.replaceDirectory(fs, staging, new Path(runDir, EVAL));
    }
}
