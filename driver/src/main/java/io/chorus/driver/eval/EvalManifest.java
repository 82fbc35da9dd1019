package io.chorus.driver.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code eval/models.json}: the library of a run's evaluation (every model whose probabilities are in
 * eval/probs), how each was made, and the settings the ensembles are built with. It is written after
 * every probability file, so it is the commit point of an evaluation: with it and the probability files
 * alone, {@code chorus evaluate --offline} rebuilds eval/metrics.json without running a network.
 */
public final class EvalManifest {
    public static final String NAME = "models.json";
    public int format = 1;
    public int classes;
    public int testExamples;
    public int validationExamples;
    /** ensemble.weights, snapshot_last, selection_rounds as configured. */
    public Map<String, Object> settings = new LinkedHashMap<>();
    public List<Entry> models = new ArrayList<>();
    /** Seconds of the whole head ensemble on the test split (backbone once per batch plus every head). */
    public Double headsInferenceSeconds;
    /** Members that did not finish (diverged or failed), excluded from every ensemble, with the reason. */
    public List<String> excluded = new ArrayList<>();
    public List<String> notes = new ArrayList<>();

    /** A model of the library. */
    public static final class Entry {
        public String id;
        public String kind;
        public int member;
        public String path;
        public String sha256;
        public int epoch;
        public long iteration;
        public List<String> snapshotKinds = new ArrayList<>();
        public long parameters;
        /** Seconds to compute its probabilities on the test split (null for heads: see headsInferenceSeconds). */
        public Double inferenceSeconds;
        /** Seconds a derived model took to build (averaging, batch-norm pass, head training). */
        public Double buildSeconds;
        public String note;
        /**
         * What training this model cost: passes over the training examples of the trajectory it comes from,
         * up to its snapshot, and the cores times seconds those took (train.threads x the epochs' training
         * seconds); for derived models, that of the trajectories they are built from plus their build.
         */
        public Double memberEpochs;
        public Double coreSeconds;
        /**
         * For a member whose final snapshot failed its checksum: that file ({@code corrupt}) and the snapshot
         * evaluated in its place ({@code used}, {@code snapshot}, {@code epoch}, {@code iteration}); else null.
         */
        public Map<String, Object> fallback;
    }
}
