package io.chorus.driver.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.combine.Average;
import io.chorus.ensemble.combine.Vote;
import io.chorus.ensemble.metrics.Metrics;
import io.chorus.worker.data.Corruptions;

/**
 * The {@code shift} section of eval/metrics.json, from eval/models.json's {@code settings.shift}, the
 * probability files under eval/probs-shift (severities 1..5) and eval/probs (severity 0: the first
 * {@code examples} test images as they are). For the best member the evaluation scored under shift, each
 * ensemble of the clean evaluation that can be rebuilt from those files ({@code average},
 * {@code average-weighted} with the same weights, {@code vote}, the best member's {@code snapshot-m<i>},
 * {@code heads}: the same members as on the clean test split) and each trajectory average: accuracy, NLL,
 * Brier and ECE per kind and severity, their mean over kinds per severity, and the figures at the worst
 * (highest) severity. Absent when the run was evaluated without {@code evaluate.shift}.
 */
final class ShiftMetrics {
    static final String NAME = "shift";

    private ShiftMetrics() {
    }

    /** Adds the shift section to {@code out} (the rest of metrics.json, computed) if the evaluation scored shift. */
    static void addTo(Map<String, Object> out, FileSystem fs, Path evalDir, EvalManifest m, EnsembleReport.Split test)
            throws IOException {
        if (m.settings.get(ShiftEvaluation.SETTINGS) instanceof Map<?, ?> settings) {
            out.put(NAME, compute(settings, read(fs, evalDir, settings, m.classes), m, test, ensembles(out)));
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> ensembles(Map<String, Object> out) {
        Object e = out.get("ensembles");
        return e instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    private static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        if (o instanceof List<?> l) {
            l.forEach(x -> out.add(String.valueOf(x)));
        }
        return out;
    }

    /** Every scored model's shift probabilities, by id. */
    private static Map<String, ShiftProbs> read(FileSystem fs, Path evalDir, Map<?, ?> settings, int classes)
            throws IOException {
        List<String> kinds = strings(settings.get("kinds"));
        int examples = ((Number) settings.get("examples")).intValue();
        Map<String, ShiftProbs> probs = new LinkedHashMap<>();
        for (String id : strings(settings.get("models"))) {
            probs.put(id, ShiftProbs.read(fs, new Path(new Path(evalDir, ShiftEvaluation.PROBS_SHIFT),
                    id + ShiftProbs.SUFFIX), kinds, examples, classes));
        }
        return probs;
    }

    /** One row of the section: a model or an ensemble and how its probabilities are combined. */
    private record Row(String name, String kind, List<String> members, double[] weights, boolean vote) {
        Map<String, Object> head() {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("name", name);
            r.put("kind", kind);
            r.put("members", members);
            if (weights != null) {
                r.put("weights", weights);
            }
            return r;
        }
    }

    static Map<String, Object> compute(Map<?, ?> settings, Map<String, ShiftProbs> shifted, EvalManifest m,
                                       EnsembleReport.Split test, List<Map<String, Object>> ensembles) {
        List<String> kinds = strings(settings.get("kinds"));
        int examples = ((Number) settings.get("examples")).intValue();
        String best = String.valueOf(settings.get("best_member"));
        int classes = m.classes;
        int[] labels = Arrays.copyOf(test.labels(), examples);
        List<String> notes = new ArrayList<>();
        for (Map.Entry<String, ShiftProbs> e : shifted.entrySet()) {
            if (!Arrays.equals(labels, e.getValue().labels())) {
                throw new IllegalStateException(ShiftEvaluation.PROBS_SHIFT + "/" + e.getKey() + ShiftProbs.SUFFIX
                        + ": its labels differ from those of the first " + examples + " test images in "
                        + EvaluateJob.PROBS);
            }
        }

        List<Row> rows = new ArrayList<>();
        rows.add(new Row(best, "best-member", List.of(best), null, false));
        for (Map<String, Object> e : ensembles) {
            String name = String.valueOf(e.get("name"));
            boolean wanted = name.equals("average") || name.equals("average-weighted") || name.equals("vote")
                    || name.equals("snapshot-" + best) || name.equals("heads");
            if (!wanted) {
                continue;
            }
            List<String> members = strings(e.get("members"));
            List<String> missing = members.stream().filter(id -> !shifted.containsKey(id)).toList();
            if (missing.isEmpty()) {
                rows.add(new Row(name, "ensemble", members, (double[]) e.get("weights"), name.equals("vote")));
            } else {
                notes.add(name + ": " + String.join(", ", missing) + " not scored under shift; no shift figures");
            }
        }
        for (EvalManifest.Entry e : m.models) {
            if (e.kind.equals(ModelRef.Kind.SWA.configName()) && shifted.containsKey(e.id)) {
                rows.add(new Row(e.id, e.kind, List.of(e.id), null, false));
            }
        }

        List<Map<String, Object>> out = new ArrayList<>();
        for (Row row : rows) {
            Map<String, Object> r = row.head();
            Map<String, Object> byKind = new LinkedHashMap<>();
            double[][] sums = new double[Corruptions.SEVERITIES + 1][4];
            Map<String, Object> worstByKind = new LinkedHashMap<>();
            for (int k = 0; k < kinds.size(); k++) {
                List<Map<String, Object>> curve = new ArrayList<>();
                for (int s = 0; s <= Corruptions.SEVERITIES; s++) {
                    List<double[][]> members = new ArrayList<>();
                    for (String id : row.members()) {
                        members.add(s == 0 ? Arrays.copyOf(test.probs().get(id), examples)
                                : rows(shifted.get(id).p()[ShiftProbs.condition(k, s)], examples, classes, id));
                    }
                    Metrics x = metrics(row, members, labels);
                    curve.add(point(s, x.accuracy(), x.nll(), x.brier(), x.ece()));
                    sums[s][0] += x.accuracy();
                    sums[s][1] += x.nll();
                    sums[s][2] += x.brier();
                    sums[s][3] += x.ece();
                    if (s == Corruptions.SEVERITIES) {
                        worstByKind.put(kinds.get(k), figures(x.accuracy(), x.nll(), x.brier(), x.ece()));
                    }
                }
                byKind.put(kinds.get(k), curve);
            }
            List<Map<String, Object>> mean = new ArrayList<>();
            for (int s = 0; s <= Corruptions.SEVERITIES && !kinds.isEmpty(); s++) {
                double[] a = sums[s];
                int n = kinds.size();
                mean.add(point(s, a[0] / n, a[1] / n, a[2] / n, a[3] / n));
            }
            r.put("by_kind", byKind);
            r.put("mean", mean);
            Map<String, Object> worst = new LinkedHashMap<>();
            worst.put("severity", Corruptions.SEVERITIES);
            worst.put("mean", mean.isEmpty() ? null : figuresOf(mean.get(mean.size() - 1)));
            worst.put("by_kind", worstByKind);
            r.put("worst", worst);
            out.add(r);
        }

        Map<String, Object> section = new LinkedHashMap<>();
        section.put("kinds", kinds);
        List<Integer> severities = new ArrayList<>();
        for (int s = 0; s <= Corruptions.SEVERITIES; s++) {
            severities.add(s);
        }
        section.put("severities", severities);
        section.put("examples", examples);
        section.put("seed", settings.get("seed"));
        section.put("best_member", best);
        section.put("rows", out);
        section.put("notes", notes);
        return section;
    }

    private static Metrics metrics(Row row, List<double[][]> members, int[] labels) {
        if (row.vote()) {
            return Metrics.of(Vote.shares(members), Vote.predict(members), labels);
        }
        double[][] p = members.size() == 1 ? members.get(0)
                : row.weights() != null ? Average.weighted(members, row.weights()) : Average.mean(members);
        return Metrics.of(p, Probabilities.argmax(p), labels);
    }

    private static double[][] rows(float[] flat, int examples, int classes, String id) {
        double[][] p = new double[examples][classes];
        for (int i = 0; i < examples; i++) {
            for (int c = 0; c < classes; c++) {
                p[i][c] = flat[i * classes + c];
            }
        }
        Probabilities.validate(p, classes, id + " under shift");
        return p;
    }

    private static Map<String, Object> point(int severity, double accuracy, double nll, double brier, double ece) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("severity", severity);
        p.putAll(figures(accuracy, nll, brier, ece));
        return p;
    }

    private static Map<String, Object> figures(double accuracy, double nll, double brier, double ece) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("accuracy", accuracy);
        f.put("nll", nll);
        f.put("brier", brier);
        f.put("ece", ece);
        return f;
    }

    private static Map<String, Object> figuresOf(Map<String, Object> point) {
        Map<String, Object> f = new LinkedHashMap<>(point);
        f.remove("severity");
        return f;
    }
}
