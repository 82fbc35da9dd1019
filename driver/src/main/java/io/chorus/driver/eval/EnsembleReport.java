package io.chorus.driver.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.config.Keys;
import io.chorus.driver.config.WeightsSetting;
import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.calibrate.Temperature;
import io.chorus.ensemble.combine.Average;
import io.chorus.ensemble.combine.Selection;
import io.chorus.ensemble.combine.Vote;
import io.chorus.ensemble.combine.Weights;
import io.chorus.ensemble.metrics.Diversity;
import io.chorus.ensemble.metrics.Metrics;
import io.chorus.ensemble.metrics.SizeCurve;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;

/**
 * eval/metrics.json from eval/models.json and the probability files alone: metrics of every model and
 * every ensemble, diversity between members, and metrics against ensemble size. A pure function of those
 * files, so the same numbers come out whenever it runs ({@code chorus evaluate --offline}).
 *
 * <p>Ensembles: {@code average} (mean of the members' probabilities), {@code average-weighted} (weights
 * given in ensemble.weights, or fitted on the validation split), {@code vote}, {@code snapshot-m<i>} (the
 * last ensemble.snapshot_last snapshots of member i: its cycle-end snapshots when it has any, else all of
 * them), {@code heads} (the FC-head-only ensemble) and {@code selection} (greedy selection with replacement
 * over every snapshot of every member, on the validation split). Trajectory averages, the cross-member
 * average and MC dropout are single models and appear under {@code models}. The best member is the one
 * with the highest validation accuracy, so choosing it does not peek at the test split.
 */
public final class EnsembleReport {
    public static final String NAME = "metrics.json";
    static final int BINS = 15;

    private EnsembleReport() {
    }

    /** Probabilities of a split, by model id. */
    record Split(int[] labels, Map<String, double[][]> probs) {
    }

    /** Reads eval/ and writes eval/metrics.json; returns the tree written. */
    public static Map<String, Object> write(FileSystem fs, Path evalDir) throws IOException {
        Map<String, Object> tree = compute(fs, evalDir);
        HadoopFiles.writeAtomically(fs, new Path(evalDir, NAME), Json.write(tree));
        return tree;
    }

    public static Map<String, Object> compute(FileSystem fs, Path evalDir) throws IOException {
        Path manifestPath = new Path(evalDir, EvalManifest.NAME);
        if (!fs.exists(manifestPath)) {
            throw new IOException(evalDir + " holds no evaluation: " + EvalManifest.NAME + " is missing");
        }
        EvalManifest m = Json.read(HadoopFiles.readAll(fs, manifestPath), EvalManifest.class, manifestPath.toString());
        Split test = read(fs, new Path(evalDir, EvaluateJob.PROBS), m);
        Split val = read(fs, new Path(evalDir, EvaluateJob.PROBS_VALIDATION), m);
        Map<String, Object> out = compute(m, test, val);
        ShiftMetrics.addTo(out, fs, evalDir, m, test);
        return out;
    }

    private static Split read(FileSystem fs, Path dir, EvalManifest m) throws IOException {
        Map<String, double[][]> probs = new LinkedHashMap<>();
        int[] labels = null;
        for (EvalManifest.Entry e : m.models) {
            ProbsCsv csv = ProbsCsv.read(fs, new Path(dir, e.id + ".csv"));
            Probabilities.validate(csv.p(), m.classes, e.id);
            if (labels == null) {
                labels = csv.labels();
            } else if (!Arrays.equals(labels, csv.labels())) {
                throw new IOException(dir + "/" + e.id + ".csv: its labels differ from those of the other models");
            }
            probs.put(e.id, csv.p());
        }
        return new Split(labels == null ? new int[0] : labels, probs);
    }

    static Map<String, Object> compute(EvalManifest m, Split test, Split val) {
        Steps s = new Steps(m, test, val);
        s.header();
        s.models();
        s.memberEnsembles();
        s.snapshotEnsembles();
        s.headEnsemble();
        s.selection();
        s.costs();
        s.gains();
        s.out.put("notes", s.notes);
        return s.out;
    }

    /**
     * The steps of {@link #compute(EvalManifest, Split, Split)}, in order, over what they share: the library by id
     * and kind, the tree being written, its models and ensembles, the best member and the notes.
     */
    private static final class Steps {
        private final EvalManifest m;
        private final Split test;
        private final Split val;
        private final Map<String, EvalManifest.Entry> byId = new LinkedHashMap<>();
        private final List<String> members = new ArrayList<>();
        private final List<String> heads = new ArrayList<>();
        private final List<String> references = new ArrayList<>();
        private final Map<String, Object> out = new LinkedHashMap<>();
        private final List<Map<String, Object>> models = new ArrayList<>();
        private final List<Map<String, Object>> ensembles = new ArrayList<>();
        private final List<String> notes;
        private String best;

        Steps(EvalManifest m, Split test, Split val) {
            this.m = m;
            this.test = test;
            this.val = val;
            this.notes = new ArrayList<>(m.notes);
            for (EvalManifest.Entry e : m.models) {
                byId.put(e.id, e);
                if (e.kind.equals(ModelRef.Kind.SINGLE_BUDGET.configName())) {
                    references.add(e.id);
                } else if (e.kind.equals(ModelRef.Kind.MEMBER.configName())) {
                    members.add(e.id);
                } else if (e.kind.equals(ModelRef.Kind.HEAD.configName())) {
                    heads.add(e.id);
                }
            }
        }

        /** Format, sizes, settings and the excluded members. */
        void header() {
            out.put("format", 1);
            out.put("classes", m.classes);
            out.put("test_examples", test.labels().length);
            out.put("validation_examples", val.labels().length);
            out.put("settings", m.settings);
            out.put("excluded", m.excluded);
        }

        /** Every model's metrics, uncalibrated and temperature-scaled; the best member on validation accuracy. */
        void models() {
            double bestAcc = -1;
            double bestNll = Double.POSITIVE_INFINITY;
            for (EvalManifest.Entry e : m.models) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", e.id);
                row.put("kind", e.kind);
                row.put("member", e.member);
                row.put("epoch", e.epoch);
                row.put("parameters", e.parameters);
                row.put("inference_seconds", e.inferenceSeconds);
                TrainingCost cost = TrainingCost.of(e);
                row.put("cost", cost == null ? null : cost.asMap());
                if (e.note != null) {
                    row.put("note", e.note);
                }
                if (e.fallback != null) {
                    row.put("fallback", e.fallback);
                }
                double[][] p = test.probs().get(e.id);
                row.put("test", metrics(p, Probabilities.argmax(p), test.labels()));
                double[][] pv = val.probs().get(e.id);
                Metrics mv = Metrics.of(pv, Probabilities.argmax(pv), val.labels());
                row.put("validation", Map.of("accuracy", mv.accuracy(), "nll", mv.nll()));
                row.put("temperature_scaled", temperatureScaled(pv, val.labels(), p, test.labels()));
                models.add(row);
                if (members.contains(e.id) && (mv.accuracy() > bestAcc || mv.accuracy() == bestAcc && mv.nll() < bestNll)) {
                    best = e.id;
                    bestAcc = mv.accuracy();
                    bestNll = mv.nll();
                }
            }
            out.put("best_member", best);
            out.put("models", models);
        }

        /** Average, vote, weighted average, diversity and ensemble-size curves of the members. */
        void memberEnsembles() {
            if (!members.isEmpty()) {
                // One member is an ensemble of one: average and vote are that member (a model of one still scores).
                List<double[][]> t = pick(test, members);
                List<double[][]> v = pick(val, members);
                double[][] avg = Average.mean(t);
                ensembles.add(ensemble("average", members.size() == 1 ? "the one finished member alone"
                        : "mean of the members' probabilities", members, null, avg,
                        Probabilities.argmax(avg), Average.mean(v), test, val, seconds(byId, members)));
                double[][] shares = Vote.shares(t);
                Map<String, Object> vote = ensemble("vote", members.size() == 1 ? "the one finished member's predictions "
                        + "alone" : "majority of the members' predictions; ties go to the class with the largest summed "
                        + "probability, then the lowest index", members, null, shares, Vote.predict(t), null, test, val,
                        seconds(byId, members));
                Metrics vv = Metrics.of(Vote.shares(v), Vote.predict(v), val.labels());
                vote.put("validation", Map.of("accuracy", vv.accuracy(), "nll", vv.nll()));
                ensembles.add(vote);
            }
            if (members.size() == 1) {
                notes.add("one finished member: average and vote are that member alone; average-weighted, diversity and "
                        + "ensemble-size curves need at least two members");
            }
            if (members.size() >= 2) {
                List<double[][]> t = pick(test, members);
                List<double[][]> v = pick(val, members);
                double[] w = WeightsSetting.parse(String.valueOf(m.settings.getOrDefault("weights",
                        Keys.ENSEMBLE_WEIGHTS.defaultValue())));
                String how = "weights given in ensemble.weights";
                if (w == null) {
                    w = Weights.fit(v, val.labels());
                    how = "weights fitted on the validation split (minimum NLL)";
                }
                double[][] wavg = Average.weighted(t, w);
                ensembles.add(ensemble("average-weighted", how, members, w, wavg, Probabilities.argmax(wavg),
                        Average.weighted(v, w), test, val, seconds(byId, members)));

                Diversity d = Diversity.of(predictions(t), test.labels());
                Map<String, Object> div = new LinkedHashMap<>();
                div.put("members", members);
                div.put("disagreement", d.disagreement());
                div.put("q_statistic", nullable(d.qStatistic()));
                div.put("double_fault", d.doubleFault());
                div.put("mean_disagreement", d.meanDisagreement());
                div.put("mean_q_statistic", finite(d.meanQ()));
                div.put("mean_double_fault", d.meanDoubleFault());
                out.put("diversity", div);

                Map<String, Object> curves = new LinkedHashMap<>();
                int[] memberOrder = new int[members.size()];
                for (int i = 0; i < memberOrder.length; i++) {
                    memberOrder[i] = i;
                }
                int[] greedy = SizeCurve.greedyOrder(v, val.labels());
                for (SizeCurve.Combiner c : SizeCurve.Combiner.values()) {
                    Map<String, Object> curve = new LinkedHashMap<>();
                    curve.put("member_order", curve(SizeCurve.inOrder(t, test.labels(), memberOrder, c), members, memberOrder));
                    curve.put("greedy_order", curve(SizeCurve.inOrder(t, test.labels(), greedy, c), members, greedy));
                    curves.put(c.name().toLowerCase(java.util.Locale.ROOT), curve);
                }
                out.put("size_curves", curves);
            } else if (members.isEmpty()) {
                notes.add("no finished members: no member ensembles");
            }
        }

        /** One snapshot ensemble per run (members and the reference model). */
        void snapshotEnsembles() {
            int last = ((Number) m.settings.getOrDefault("snapshot_last", Keys.ENSEMBLE_SNAPSHOT_LAST.defaultValue())).intValue();
            List<String> trajectories = new ArrayList<>(members);
            trajectories.addAll(references);
            for (String member : trajectories) {
                List<EvalManifest.Entry> snaps = snapshotsOf(m, byId.get(member).member);
                List<EvalManifest.Entry> cycles = snaps.stream().filter(e -> e.snapshotKinds.contains("cycle")).toList();
                List<EvalManifest.Entry> pool = cycles.size() >= 2 ? cycles : snaps;
                List<String> chosen = pool.subList(Math.max(0, pool.size() - last), pool.size()).stream().map(e -> e.id).toList();
                if (chosen.size() < 2) {
                    notes.add("snapshot-" + member + ": " + chosen.size() + " snapshot(s) of member " + byId.get(member).member
                            + "; a snapshot ensemble needs at least 2");
                } else {
                    double[][] p = Average.mean(pick(test, chosen));
                    ensembles.add(ensemble("snapshot-" + member, "the last " + chosen.size() + (pool == cycles
                            ? " cycle-end" : "") + " snapshots of member " + byId.get(member).member, chosen, null, p,
                            Probabilities.argmax(p), Average.mean(pick(val, chosen)), test, val, seconds(byId, chosen)));
                }
            }
        }

        /** The FC-head-only ensemble. */
        void headEnsemble() {
            if (heads.size() >= 2) {
                double[][] p = Average.mean(pick(test, heads));
                Map<String, Object> h = ensemble("heads", heads.size() + " classifier heads on one frozen backbone: one "
                        + "backbone pass per batch", heads, null, p, Probabilities.argmax(p), Average.mean(pick(val, heads)),
                        test, val, m.headsInferenceSeconds);
                ensembles.add(h);
            } else if (heads.size() == 1) {
                notes.add("heads: 1 head; a head ensemble needs at least 2");
            }
        }

        /** Greedy selection over the members' snapshots. */
        void selection() {
            Set<Integer> referenceMembers = references.stream().map(r -> byId.get(r).member).collect(Collectors.toSet());
            List<String> library = m.models.stream().filter(e -> e.kind.equals(ModelRef.Kind.SNAPSHOT.configName())
                    && !referenceMembers.contains(e.member)).map(e -> e.id).toList();
            int rounds = ((Number) m.settings.getOrDefault("selection_rounds", Keys.ENSEMBLE_SELECTION_ROUNDS.defaultValue()))
                    .intValue();
            if (library.size() < 2) {
                notes.add("selection: " + library.size() + " snapshot(s) in all; greedy selection needs at least 2");
            } else {
                Selection.Result r = Selection.greedy(pick(val, library), val.labels(), rounds);
                List<double[][]> lt = pick(test, library);
                double[][] p = Selection.combine(lt, r.counts());
                List<String> used = new ArrayList<>();
                List<Double> weights = new ArrayList<>();
                for (int i = 0; i < library.size(); i++) {
                    if (r.counts()[i] > 0) {
                        used.add(library.get(i));
                        weights.add((double) r.counts()[i] / rounds);
                    }
                }
                Map<String, Object> sel = ensemble("selection", "greedy forward selection with replacement (Caruana et al. "
                        + "2004) over " + library.size() + " snapshots, " + rounds + " rounds on the validation split", used,
                        weights.stream().mapToDouble(Double::doubleValue).toArray(), p, Probabilities.argmax(p),
                        Selection.combine(pick(val, library), r.counts()), test, val, seconds(byId, used));
                List<Map<String, Object>> perRound = new ArrayList<>();
                int[] counts = new int[library.size()];
                for (int k = 0; k < r.picks().length; k++) {
                    counts[r.picks()[k]]++;
                    double[][] pk = Selection.combine(lt, counts);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("round", k + 1);
                    row.put("picked", library.get(r.picks()[k]));
                    row.put("validation_nll", r.validationNll()[k]);
                    row.putAll(summary(Metrics.of(pk, Probabilities.argmax(pk), test.labels())));
                    perRound.add(row);
                }
                sel.put("rounds", perRound);
                ensembles.add(sel);
            }
        }

        /** Each ensemble's training cost, the ensembles, and the equal-budget rows. */
        void costs() {
            for (Map<String, Object> e : ensembles) {
                @SuppressWarnings("unchecked")
                TrainingCost cost = TrainingCost.ofEnsemble((List<String>) e.get("members"), byId);
                e.put("cost", cost == null ? null : cost.asMap());
            }
            out.put("ensembles", ensembles);
            out.put("equal_budget", EqualBudget.rows(models, ensembles, best, references).stream()
                    .map(EqualBudget.Row::asMap).toList());
        }

        /** Every ensemble against the best member. */
        void gains() {
            if (best != null) {
                Map<String, Object> bestTest = findModel(models, best);
                List<Map<String, Object>> gains = new ArrayList<>();
                for (Map<String, Object> e : ensembles) {
                    Map<String, Object> et = cast(e.get("test"));
                    Map<String, Object> bt = cast(bestTest.get("test"));
                    Map<String, Object> g = new LinkedHashMap<>();
                    g.put("ensemble", e.get("name"));
                    g.put("accuracy", (double) et.get("accuracy") - (double) bt.get("accuracy"));
                    g.put("nll", (double) et.get("nll") - (double) bt.get("nll"));
                    g.put("nll_relative", ((double) et.get("nll") - (double) bt.get("nll")) / (double) bt.get("nll"));
                    g.put("ece", (double) et.get("ece") - (double) bt.get("ece"));
                    gains.add(g);
                }
                out.put("gain_over_best_member", gains);
            }
        }
    }

    private static List<EvalManifest.Entry> snapshotsOf(EvalManifest m, int member) {
        return m.models.stream().filter(e -> e.member == member && e.kind.equals(ModelRef.Kind.SNAPSHOT.configName()))
                .sorted((a, b) -> Long.compare(a.iteration, b.iteration)).toList();
    }

    private static Map<String, Object> ensemble(String name, String method, List<String> members, double[] weights,
                                                double[][] p, int[] predicted, double[][] pv, Split test, Split val,
                                                Double seconds) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", name);
        e.put("method", method);
        e.put("members", members);
        if (weights != null) {
            e.put("weights", weights);
        }
        e.put("inference_seconds", seconds);
        e.put("test", metrics(p, predicted, test.labels()));
        if (pv != null) {
            Metrics mv = Metrics.of(pv, Probabilities.argmax(pv), val.labels());
            e.put("validation", Map.of("accuracy", mv.accuracy(), "nll", mv.nll()));
            e.put("temperature_scaled", temperatureScaled(pv, val.labels(), p, test.labels()));
        }
        return e;
    }

    /**
     * The temperature fitted on the validation probabilities and the test metrics of the test probabilities
     * scaled with it (accuracy is that of the unscaled model: scaling keeps every predicted class).
     */
    static Map<String, Object> temperatureScaled(double[][] pv, int[] valLabels, double[][] p, int[] testLabels) {
        double t = Temperature.fit(pv, valLabels);
        double[][] q = Temperature.apply(p, t);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("temperature", t);
        out.put("test", summary(Metrics.of(q, Probabilities.argmax(q), testLabels)));
        return out;
    }

    static Map<String, Object> metrics(double[][] p, int[] predicted, int[] labels) {
        Metrics x = Metrics.of(p, predicted, labels);
        Map<String, Object> out = summary(x);
        out.put("per_class_accuracy", nullable(x.perClassAccuracy()));
        out.put("confusion", x.confusion());
        Metrics.Reliability r = Metrics.reliability(p, predicted, labels, BINS);
        Map<String, Object> rel = new LinkedHashMap<>();
        rel.put("lower", r.lower());
        rel.put("upper", r.upper());
        rel.put("count", r.count());
        rel.put("accuracy", nullable(r.accuracy()));
        rel.put("confidence", nullable(r.confidence()));
        out.put("reliability", rel);
        return out;
    }

    private static Map<String, Object> summary(Metrics x) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("accuracy", x.accuracy());
        out.put("nll", x.nll());
        out.put("brier", x.brier());
        out.put("ece", x.ece());
        return out;
    }

    private static List<Map<String, Object>> curve(List<Metrics> ms, List<String> ids, int[] order) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int k = 0; k < ms.size(); k++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("size", k + 1);
            row.put("added", ids.get(order[k]));
            row.putAll(summary(ms.get(k)));
            rows.add(row);
        }
        return rows;
    }

    private static Double seconds(Map<String, EvalManifest.Entry> byId, List<String> ids) {
        double s = 0;
        for (String id : ids) {
            Double x = byId.get(id).inferenceSeconds;
            if (x == null) {
                return null;
            }
            s += x;
        }
        return s;
    }

    private static List<double[][]> pick(Split s, List<String> ids) {
        List<double[][]> out = new ArrayList<>();
        for (String id : ids) {
            out.add(s.probs().get(id));
        }
        return out;
    }

    private static List<int[]> predictions(List<double[][]> members) {
        List<int[]> out = new ArrayList<>();
        for (double[][] p : members) {
            out.add(Probabilities.argmax(p));
        }
        return out;
    }

    private static Map<String, Object> findModel(List<Map<String, Object>> models, String id) {
        for (Map<String, Object> m : models) {
            if (m.get("id").equals(id)) {
                return m;
            }
        }
        throw new IllegalStateException("no model " + id);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static Double[] nullable(double[] v) {
        Double[] out = new Double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = finite(v[i]);
        }
        return out;
    }

    private static Double[][] nullable(double[][] v) {
        Double[][] out = new Double[v.length][];
        for (int i = 0; i < v.length; i++) {
            out[i] = nullable(v[i]);
        }
        return out;
    }
}
