package io.chorus.driver.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import org.nd4j.linalg.schedule.ISchedule;

import io.chorus.driver.eval.EqualBudget;
import io.chorus.driver.report.Charts.Series;
import io.chorus.driver.report.Summary.Column;
import io.chorus.driver.report.Summary.Row;
import io.chorus.worker.train.EpochMetrics;
import io.chorus.worker.train.InitDiagnostics;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.TrainSpec;
import io.chorus.worker.train.SnapshotRecord;
import io.chorus.worker.train.schedule.LearningRateSchedules;

/**
 * The report page: one self-contained HTML file (styles and SVG figures inline, no network) built from a
 * {@link ReportData}. Every number shown comes from run.json, member.json or eval/metrics.json; table cells
 * carry the exact value in {@code data-value} so the page can be checked against those files.
 */
public final class HtmlReport {
    /** Section ids, in page order. */
    public static final List<String> SECTIONS = List.of("equal-budget", "summary", "training", "ensemble-size", "reliability",
            "shift", "confusion", "diversity", "averaging", "diagnostics", "provenance");

    private static final int WIDE = 900;
    private static final int NARROW = 440;

    private final ReportData data;
    private final StringBuilder html = new StringBuilder(1 << 16);
    private int figures;

    private HtmlReport(ReportData data) {
        this.data = data;
    }

    /** The page for {@code data}. */
    public static String render(ReportData data) {
        return new HtmlReport(data).page();
    }

    private String page() {
        String job = data.run().path("job").asText("run");
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>Chorus report: ").append(esc(job)).append("</title>\n<style>\n").append(CSS)
                .append("</style>\n</head>\n<body>\n<header>\n<h1>Chorus report: ").append(esc(job)).append("</h1>\n")
                .append("<p class=\"meta\">").append(esc(data.runDir())).append(" &middot; run ")
                .append(esc(data.run().path("status").asText("?"))).append(" &middot; started ")
                .append(esc(data.run().path("started").asText("?"))).append("</p>\n");
        headline();
        html.append("<nav>");
        for (String s : SECTIONS) {
            html.append("<a href=\"#").append(s).append("\">").append(s.replace('-', ' ')).append("</a> ");
        }
        html.append("</nav>\n</header>\n<main>\n");
        equalBudget();
        summary();
        training();
        ensembleSize();
        reliability();
        shift();
        confusion();
        diversity();
        averaging();
        diagnostics();
        provenance();
        html.append("</main>\n<script>\nwindow.addEventListener('beforeprint', function () {\n"
                + "  document.querySelectorAll('details').forEach(function (d) { d.open = true; });\n});\n</script>\n"
                + "</body>\n</html>\n");
        return html.toString();
    }

    // ---------------------------------------------------------------- headline

    private void headline() {
        if (data.metrics().isEmpty()) {
            html.append("<p class=\"headline\" id=\"headline\">This run has no evaluation (eval/metrics.json): ")
                    .append("run <code>chorus evaluate ").append(esc(data.runDir()))
                    .append("</code> for the ensemble's metrics. Training and provenance are shown below.</p>\n");
            return;
        }
        Optional<String> best = data.bestMember();
        Optional<JsonNode> bestModel = best.flatMap(data::model);
        if (bestModel.isEmpty()) {
            html.append("<p class=\"headline\" id=\"headline\">No member finished, so there is no ensemble to "
                    + "compare.</p>\n");
            return;
        }
        JsonNode bm = bestModel.get();
        html.append("<div class=\"headline\" id=\"headline\"><p>Best single member: <strong>").append(esc(best.get()))
                .append("</strong> (chosen on the validation split), test accuracy ")
                .append(f4(bm.path("test").path("accuracy").asDouble())).append(", NLL ")
                .append(f4(bm.path("test").path("nll").asDouble())).append(".</p>\n");
        budgetHeadline();
        List<JsonNode> gains = new ArrayList<>();
        data.metrics().get().path("gain_over_best_member").forEach(gains::add);
        if (gains.isEmpty()) {
            html.append("<p>No ensemble was formed.</p></div>\n");
            return;
        }
        Optional<JsonNode> top = bestEnsemble();
        Double bestInference = Summary.number(bm.get("inference_seconds"));
        html.append("<ul class=\"gains\">\n");
        for (JsonNode g : gains) {
            String name = g.path("ensemble").asText();
            Optional<JsonNode> e = data.ensembles().stream().filter(x -> x.path("name").asText().equals(name)).findFirst();
            boolean isTop = top.isPresent() && top.get().path("name").asText().equals(name);
            html.append("<li data-ensemble=\"").append(esc(name)).append("\"").append(isTop ? " class=\"top\"" : "")
                    .append("><strong>").append(esc(name)).append("</strong>")
                    .append(isTop ? " (the best ensemble on validation NLL)" : "").append(": ")
                    .append(signed(100 * g.path("accuracy").asDouble(), 2)).append(" accuracy points, NLL ")
                    .append(signed(100 * g.path("nll_relative").asDouble(), 1)).append("%, ECE ")
                    .append(signed(g.path("ece").asDouble(), 4));
            Double inf = e.map(x -> Summary.number(x.get("inference_seconds"))).orElse(null);
            if (inf != null && bestInference != null && bestInference > 0) {
                html.append(", at ").append(String.format(Locale.ROOT, "%.1f", inf / bestInference))
                        .append("&times; the best member's inference time");
            }
            html.append("</li>\n");
        }
        html.append("</ul></div>\n");
    }

    // ---------------------------------------------------------------- equal budget

    private void equalBudget() {
        open("equal-budget", "What each way of spending the training budget buys");
        if (notEvaluated()) {
            return;
        }
        List<EqualBudget.Row> rows = data.equalBudget().stream().filter(r -> r.memberEpochs() != null).toList();
        if (rows.isEmpty()) {
            html.append("<p>This evaluation records no training costs; rerun <code>chorus evaluate ")
                    .append(esc(data.runDir())).append("</code>.</p>\n");
            close();
            return;
        }
        html.append("<p class=\"note\">Test split. Training cost in member-epochs (passes of one network over the "
                + "training examples; an ensemble counts each trajectory it uses once, up to the last snapshot it "
                + "uses) and core-minutes. Points on one vertical line cost the same; up and to the left is better for "
                + "accuracy, down and to the left for NLL and ECE. T-scaled: after one temperature fitted on the "
                + "validation split.</p>\n");
        String cost = "training cost (member-epochs)";
        // the vote's "probabilities" are vote shares, whose NLL would set the scale: it is in the table only (a
        // point left out, not a series, so that every row keeps its colour in all three figures)
        java.util.function.Predicate<EqualBudget.Row> shares = r -> r.name().equals("vote");
        html.append("<div class=\"grid\">\n");
        figure(Charts.budget("Accuracy against training cost", cost, "test accuracy",
                budgetPoints(rows, EqualBudget.Row::accuracy)), NARROW, 340, "budget-accuracy", "Accuracy against cost");
        figure(Charts.budget("NLL against training cost", cost, "test NLL",
                budgetPoints(rows, r -> shares.test(r) ? Double.NaN : r.nll())), NARROW, 340, "budget-nll",
                "NLL against cost (vote left out: its vote shares are not probabilities)");
        figure(Charts.budget("ECE after temperature scaling", cost, "test ECE (T-scaled)",
                budgetPoints(rows, r -> r.eceScaled() != null ? r.eceScaled() : Double.NaN)), NARROW, 340,
                "budget-ece", "ECE after temperature scaling against cost");
        html.append("</div>\n");
        html.append("<table class=\"budget-table\">\n<thead><tr><th>model or ensemble</th><th>member-epochs</th>"
                + "<th>core-min</th><th>accuracy</th><th>NLL</th><th>ECE</th><th>NLL (T)</th><th>ECE (T)</th>"
                + "<th>inference s</th><th>what</th></tr></thead>\n<tbody>\n");
        for (EqualBudget.Row r : rows) {
            html.append("<tr data-row=\"").append(esc(r.name())).append("\"><td>").append(esc(r.name()))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%.0f", r.memberEpochs())).append("</td><td>")
                    .append(r.coreSeconds() == null ? "-" : String.format(Locale.ROOT, "%.1f", r.coreSeconds() / 60))
                    .append("</td><td>").append(f4(r.accuracy())).append("</td><td>").append(f4(r.nll()))
                    .append("</td><td>").append(f4(r.ece())).append("</td><td>")
                    .append(r.nllScaled() == null ? "-" : f4(r.nllScaled())).append("</td><td>")
                    .append(r.eceScaled() == null ? "-" : f4(r.eceScaled())).append("</td><td>")
                    .append(r.inferenceSeconds() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.inferenceSeconds()))
                    .append("</td><td class=\"what\">")
                    .append(esc(r.what())).append("</td></tr>\n");
        }
        html.append("</tbody></table>\n");
        close();
    }

    /**
     * One sentence on the question the report answers first: at the ensemble's training cost, what one network of
     * that budget and the averaged ensemble reach (only when the run trained the reference model).
     */
    private void budgetHeadline() {
        List<EqualBudget.Row> rows = data.equalBudget();
        Optional<EqualBudget.Row> single = rows.stream().filter(r -> r.name().equals("single model, same budget"))
                .findFirst();
        Optional<EqualBudget.Row> average = rows.stream().filter(r -> r.name().equals("average")).findFirst();
        if (single.isEmpty() || average.isEmpty() || single.get().memberEpochs() == null) {
            return;
        }
        EqualBudget.Row s = single.get();
        EqualBudget.Row a = average.get();
        html.append("<p>At the ensemble's training cost (").append(String.format(Locale.ROOT, "%.0f", s.memberEpochs()))
                .append(" member-epochs), one network trained for all of it reaches test accuracy ")
                .append(f4(s.accuracy())).append(", NLL ").append(f4(s.nll())).append("; the averaged ensemble ")
                .append(f4(a.accuracy())).append(", NLL ").append(f4(a.nll())).append(": the ensemble ")
                .append(a.accuracy() > s.accuracy() ? "wins" : "loses").append(" on accuracy and ")
                .append(a.nll() < s.nll() ? "wins" : "loses").append(" on NLL (see the first section).</p>\n");
    }

    private static List<Series> budgetPoints(List<EqualBudget.Row> rows, java.util.function.ToDoubleFunction<EqualBudget.Row> y) {
        return rows.stream().map(r -> new Series(r.name(), new double[] {r.memberEpochs()},
                new double[] {y.applyAsDouble(r)})).toList();
    }

    // ---------------------------------------------------------------- summary

    private void summary() {
        open("summary", "Summary of every model and ensemble");
        if (notEvaluated()) {
            return;
        }
        List<Row> rows = new Summary(data).rows();
        Map<Column, Set<String>> best = Summary.best(rows);
        html.append("<p class=\"note\">Test split, ").append(data.metrics().get().path("test_examples").asInt())
                .append(" images. &#9650; marks the best value of each column among the rows shown (higher accuracy, "
                        + "lower everything else). Inference: seconds the evaluation spent on the test and validation "
                        + "splits. Training: summed seconds of the training that produced it (members run in "
                        + "parallel, so wall time is lower). T-scaled: the test probabilities divided, as logits, by "
                        + "one temperature fitted on the validation split (Guo et al. 2017); accuracy is unchanged."
                        + "</p>\n");
        summaryTable(rows.stream().filter(Row::headline).toList(), best, "summary-table");
        List<Row> rest = rows.stream().filter(r -> !r.headline()).toList();
        if (!rest.isEmpty()) {
            html.append("<details><summary>").append(rest.size()).append(" snapshots and single heads</summary>\n");
            summaryTable(rest, Map.of(), "snapshot-table");
            html.append("</details>\n");
        }
        close();
    }

    private void summaryTable(List<Row> rows, Map<Column, Set<String>> best, String cls) {
        html.append("<table class=\"").append(cls).append("\">\n<thead><tr><th>model</th><th>kind</th>");
        for (Column c : Column.values()) {
            html.append("<th>").append(esc(c.label)).append("</th>");
        }
        html.append("<th>how it was made</th></tr></thead>\n<tbody>\n");
        for (Row r : rows) {
            html.append("<tr data-name=\"").append(esc(r.name())).append("\"><td>").append(esc(r.name()))
                    .append("</td><td>").append(esc(r.kind())).append("</td>");
            for (Column c : Column.values()) {
                Double v = r.get(c);
                boolean isBest = best.getOrDefault(c, Set.of()).contains(r.name());
                html.append("<td class=\"num").append(isBest ? " best" : "").append("\" data-metric=\"")
                        .append(c.key()).append("\"");
                if (v != null) {
                    html.append(" data-value=\"").append(v).append("\"");
                }
                html.append(">").append(v == null ? "&ndash;" : format(c, v)).append(isBest ? " &#9650;" : "")
                        .append("</td>");
            }
            html.append("<td class=\"method\">").append(esc(r.method())).append("</td></tr>\n");
        }
        html.append("</tbody></table>\n");
    }

    static String format(Column c, double v) {
        return switch (c) {
            case ACCURACY, NLL, BRIER, ECE, NLL_T, ECE_T -> f4(v);
            case INFERENCE, TRAINING -> String.format(Locale.ROOT, "%.1f", v);
            case PARAMETERS -> String.format(Locale.ROOT, "%,d", Math.round(v));
        };
    }

    // ---------------------------------------------------------------- training curves

    private void training() {
        open("training", "Training curves");
        html.append("<p class=\"note\">Per member: the training objective (mean over the epoch, L2 penalty included) "
                + "and the validation NLL on the left axis, validation accuracy on the right, the learning rate "
                + "beneath. Dashed lines: committed snapshots.</p>\n<div class=\"grid\">\n");
        int shown = 0;
        for (JsonNode rm : data.runMembers()) {
            int id = rm.path("id").asInt();
            MemberManifest m = data.members().get(id);
            if (m == null || m.getEpochs().isEmpty()) {
                continue;
            }
            List<EpochMetrics> ep = m.getEpochs();
            double[] x = ep.stream().mapToDouble(EpochMetrics::epoch).toArray();
            Series trainLoss = new Series("training objective", x, ep.stream().mapToDouble(EpochMetrics::trainLoss).toArray());
            Series valLoss = new Series("validation NLL", x, ep.stream().mapToDouble(EpochMetrics::valLoss).toArray());
            Series valAcc = new Series("validation accuracy", x, ep.stream().mapToDouble(EpochMetrics::valAccuracy).toArray());
            Series lr = data.trainSpec(id).map(t -> learningRate(t, m)).orElse(new Series("learning rate",
                    new double[0], new double[0]));
            double perEpoch = Math.max(1, m.getIterationsPerEpoch());
            double[] snaps = m.getSnapshots().stream().mapToDouble(s -> s.iteration() / perEpoch).toArray();
            String title = "m" + id + " (" + m.getStatus().configName() + ", " + m.getSnapshots().size() + " snapshots)";
            figure(Charts.trainingCurves(title, trainLoss, valLoss, valAcc, lr, snaps), NARROW + 20, 380,
                    "training-m" + id, "Training of member " + id);
            shown++;
        }
        html.append("</div>\n");
        if (shown == 0) {
            html.append("<p>No member completed an epoch.</p>\n");
        }
        close();
    }

    /** The learning rate the member's updates used, sampled from the schedule the trainer ran. */
    static Series learningRate(TrainSpec train, MemberManifest m) {
        int perEpoch = Math.max(1, m.getIterationsPerEpoch());
        int epochs = train.epochs();
        ISchedule schedule = LearningRateSchedules.create(train, perEpoch);
        long total = (long) perEpoch * epochs;
        int points = (int) Math.min(total, 300);
        double[] x = new double[points + 1];
        double[] y = new double[points + 1];
        for (int i = 0; i <= points; i++) {
            int it = (int) Math.min(total - 1, Math.round(i * (double) (total - 1) / Math.max(1, points)));
            x[i] = (it + 1) / (double) perEpoch;
            y[i] = schedule.valueAt(it, it / perEpoch);
        }
        return new Series("learning rate", x, y);
    }

    // ---------------------------------------------------------------- ensemble size

    private void ensembleSize() {
        open("ensemble-size", "Accuracy and NLL against ensemble size");
        if (notEvaluated()) {
            return;
        }
        JsonNode curves = data.metrics().get().path("size_curves");
        Map<String, JsonNode> lines = new LinkedHashMap<>();
        lines.put("average, members in order", curves.path("average").path("member_order"));
        lines.put("average, greedy best-first", curves.path("average").path("greedy_order"));
        lines.put("vote, members in order", curves.path("vote").path("member_order"));
        lines.put("vote, greedy best-first", curves.path("vote").path("greedy_order"));
        data.ensembles().stream().filter(e -> e.path("name").asText().equals("selection")).findFirst()
                .ifPresent(sel -> lines.put("selection, round by round", sel.path("rounds")));
        List<Series> acc = new ArrayList<>();
        List<Series> nll = new ArrayList<>();
        List<Series> voteNll = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : lines.entrySet()) {
            JsonNode pts = e.getValue();
            if (!pts.isArray() || pts.isEmpty()) {
                continue;
            }
            double[] x = new double[pts.size()];
            double[] a = new double[pts.size()];
            double[] n = new double[pts.size()];
            for (int i = 0; i < pts.size(); i++) {
                JsonNode p = pts.get(i);
                x[i] = p.has("size") ? p.path("size").asDouble() : p.path("round").asDouble();
                a[i] = p.path("accuracy").asDouble();
                n[i] = p.path("nll").asDouble();
            }
            acc.add(new Series(e.getKey(), x, a));
            (e.getKey().startsWith("vote") ? voteNll : nll).add(new Series(e.getKey(), x, n));
        }
        html.append("<p class=\"note\">Test split. Members in order adds m0, m1, ...; greedy best-first adds at each "
                + "step the member that helps most on the test split (an optimistic bound, for the shape of the "
                + "curve); selection adds snapshots chosen on the validation split, with repeats. The vote's NLL "
                + "treats vote shares as probabilities, so a class no member voted for costs up to -log(1e-15); "
                + "it is drawn apart, on its own scale.</p>\n<div class=\"grid small\">\n");
        figure(Charts.sizeCurves("Accuracy against ensemble size", "test accuracy", acc, false), NARROW + 20, 360,
                "size-accuracy", "Accuracy against ensemble size");
        figure(Charts.sizeCurves("NLL against ensemble size", "test NLL", nll, false), NARROW + 20, 360,
                "size-nll", "NLL against ensemble size: averages and selection");
        figure(Charts.sizeCurves("Vote: NLL of vote shares", "test NLL", voteNll, true), NARROW + 20, 360,
                "size-vote-nll", "NLL against ensemble size: vote");
        html.append("</div>\n");
        close();
    }

    // ---------------------------------------------------------------- reliability

    private void reliability() {
        open("reliability", "Reliability diagrams");
        if (notEvaluated()) {
            return;
        }
        html.append("<p class=\"note\">Test split, 15 equal-width confidence bins. A calibrated model's bars follow "
                + "the diagonal; bars below it mean over-confidence. ECE is the count-weighted gap, so a bin holding a handful of "
                + "images (often the lowest ones) moves it little however far its bar is from the diagonal.</p>\n"
                + "<div class=\"grid small\">\n");
        List<JsonNode> shown = new ArrayList<>();
        data.bestMember().flatMap(data::model).ifPresent(shown::add);
        shown.addAll(data.ensembles());
        for (JsonNode m : shown) {
            String name = m.has("name") ? m.path("name").asText() : m.path("id").asText();
            JsonNode rel = m.path("test").path("reliability");
            if (!rel.has("lower")) {
                continue;
            }
            String title = name + (m.has("id") ? " (best member)" : "") + ", ECE " + f4(m.path("test").path("ece").asDouble());
            figure(Charts.reliability(title, bins(rel)), 400, 340, "reliability-" + name, "Reliability of " + name);
        }
        html.append("</div>\n");
        close();
    }

    static Charts.Bins bins(JsonNode rel) {
        int n = rel.path("lower").size();
        double[] lo = new double[n];
        double[] hi = new double[n];
        long[] count = new long[n];
        Double[] acc = new Double[n];
        Double[] conf = new Double[n];
        for (int i = 0; i < n; i++) {
            lo[i] = rel.path("lower").get(i).asDouble();
            hi[i] = rel.path("upper").get(i).asDouble();
            count[i] = rel.path("count").get(i).asLong();
            acc[i] = Summary.number(rel.path("accuracy").get(i));
            conf[i] = Summary.number(rel.path("confidence").get(i));
        }
        return new Charts.Bins(lo, hi, count, acc, conf);
    }

    // ---------------------------------------------------------------- dataset shift

    private void shift() {
        open("shift", "Dataset shift: corrupted test images");
        if (notEvaluated()) {
            return;
        }
        Optional<ShiftData> shift = ShiftData.of(data);
        if (shift.isEmpty()) {
            html.append("<p>This evaluation did not score dataset shift (<code>evaluate.shift: true</code> does).</p>\n");
            close();
            return;
        }
        ShiftData d = shift.get();
        String severity = "severity (0 = clean; mean over " + d.kinds().size() + " corruptions)";
        html.append("<p class=\"note\">The first ").append(d.examples()).append(" test images under ")
                .append(esc(String.join(", ", d.kinds()))).append(", each at severities 1 to ").append(d.worst())
                .append(", generated deterministically from the job seed. Best member ").append(esc(d.bestMember()))
                .append(" (highest validation accuracy at its last epoch). The vote's NLL (vote shares as "
                        + "probabilities) is left out of the NLL plot, whose scale it would set.</p>\n<div class=\"grid small\">\n");
        figure(Charts.againstSeverity("Accuracy under shift", severity, "test accuracy",
                d.series(ShiftData.Figures::accuracy, List.of())), NARROW, 340, "shift-accuracy", "Accuracy against severity");
        figure(Charts.againstSeverity("NLL under shift", severity, "test NLL",
                d.series(ShiftData.Figures::nll, List.of("vote"))), NARROW, 340, "shift-nll", "NLL against severity");
        figure(Charts.againstSeverity("ECE under shift", severity, "test ECE",
                d.series(ShiftData.Figures::ece, List.of())), NARROW, 340, "shift-ece", "ECE against severity");
        html.append("</div>\n<div class=\"grid small\">\n");
        for (String kind : d.kinds()) {
            html.append("<table class=\"shift-table\" data-kind=\"").append(esc(kind)).append("\"><caption>")
                    .append(esc(kind)).append(", severity ").append(d.worst()).append("</caption>\n<thead><tr><th>model</th>"
                            + "<th>accuracy</th><th>NLL</th><th>ECE</th></tr></thead>\n<tbody>\n");
            for (ShiftData.Line l : d.lines()) {
                ShiftData.Figures f = l.worstByKind().get(kind);
                html.append("<tr data-name=\"").append(esc(l.name())).append("\"><td>").append(esc(l.name())).append("</td>");
                for (double v : new double[] {f.accuracy(), f.nll(), f.ece()}) {
                    html.append("<td class=\"num\" data-value=\"").append(v).append("\">").append(f4(v)).append("</td>");
                }
                html.append("</tr>\n");
            }
            html.append("</tbody></table>\n");
        }
        html.append("</div>\n");
        close();
    }

    // ---------------------------------------------------------------- confusion

    /** The ensemble with the lowest validation NLL: the one a user would deploy without peeking at test. */
    Optional<JsonNode> bestEnsemble() {
        return data.ensembles().stream().filter(e -> e.path("validation").path("nll").isNumber())
                .min(Comparator.comparingDouble(e -> e.path("validation").path("nll").asDouble()));
    }

    private void confusion() {
        open("confusion", "Confusion matrix and per-class accuracy");
        Optional<JsonNode> ens = bestEnsemble();
        if (ens.isEmpty()) {
            html.append("<p>No ensemble was evaluated.</p>\n");
            close();
            return;
        }
        JsonNode e = ens.get();
        String name = e.path("name").asText();
        List<String> classes = data.classNames();
        String[] names = classes.toArray(String[]::new);
        JsonNode conf = e.path("test").path("confusion");
        double[][] share = new double[names.length][names.length];
        for (int t = 0; t < names.length; t++) {
            double rowSum = 0;
            for (int p = 0; p < names.length; p++) {
                rowSum += conf.path(t).path(p).asDouble();
            }
            for (int p = 0; p < names.length; p++) {
                share[t][p] = rowSum == 0 ? 0 : conf.path(t).path(p).asDouble() / rowSum;
            }
        }
        html.append("<p class=\"note\">Ensemble <strong>").append(esc(name)).append("</strong> (lowest validation "
                + "NLL), test split. Rows: true class; columns: predicted class; shading: share of the row.</p>\n"
                + "<div class=\"grid\">\n");
        figure(Charts.heatmap("Confusion matrix of " + name, "predicted", names, "true", names, share,
                "share of the true class", 0, 1), NARROW + 60, 440, "confusion-heatmap", "Confusion matrix");
        Map<String, double[]> perClass = new LinkedHashMap<>();
        data.bestMember().flatMap(data::model).ifPresent(bm ->
                perClass.put("best member " + bm.path("id").asText(), doubles(bm.path("test").path("per_class_accuracy"))));
        perClass.put(name, doubles(e.path("test").path("per_class_accuracy")));
        figure(Charts.bars("Per-class accuracy", "class", "test accuracy", classes, perClass, null, null),
                NARROW + 20, 440, "per-class-accuracy", "Per-class accuracy");
        html.append("</div>\n<table class=\"confusion\" data-ensemble=\"").append(esc(name))
                .append("\">\n<thead><tr><th>true \\ predicted</th>");
        for (String n : names) {
            html.append("<th>").append(esc(n)).append("</th>");
        }
        html.append("<th>accuracy</th></tr></thead>\n<tbody>\n");
        double[] acc = doubles(e.path("test").path("per_class_accuracy"));
        for (int t = 0; t < names.length; t++) {
            html.append("<tr><th>").append(esc(names[t])).append("</th>");
            for (int p = 0; p < names.length; p++) {
                long c = conf.path(t).path(p).asLong();
                html.append("<td class=\"num").append(t == p ? " diag" : "").append("\">").append(c).append("</td>");
            }
            html.append("<td class=\"num\" data-metric=\"class-accuracy\" data-value=\"")
                    .append(t < acc.length ? acc[t] : Double.NaN).append("\">")
                    .append(t < acc.length ? f4(acc[t]) : "&ndash;").append("</td></tr>\n");
        }
        html.append("</tbody></table>\n");
        close();
    }

    // ---------------------------------------------------------------- diversity

    private void diversity() {
        open("diversity", "Disagreement between members");
        JsonNode d = data.metrics().map(m -> m.path("diversity")).orElse(null);
        if (d == null || !d.path("members").isArray() || d.path("members").size() < 2) {
            html.append("<p>Fewer than two evaluated members.</p>\n");
            close();
            return;
        }
        String[] ids = new String[d.path("members").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = d.path("members").get(i).asText();
        }
        double[][] dis = new double[ids.length][ids.length];
        double max = 0;
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < ids.length; j++) {
                dis[i][j] = d.path("disagreement").path(i).path(j).asDouble();
                max = Math.max(max, dis[i][j]);
            }
        }
        html.append("<p class=\"note\">Share of test images on which two members predict different classes. Mean "
                + "disagreement <span data-metric=\"mean_disagreement\" data-value=\"")
                .append(d.path("mean_disagreement").asDouble()).append("\">").append(f4(d.path("mean_disagreement").asDouble()))
                .append("</span>, mean Q-statistic ").append(f4(d.path("mean_q_statistic").asDouble()))
                .append(" (1: the members err on the same images), mean double fault ")
                .append(f4(d.path("mean_double_fault").asDouble()))
                .append(". Averaging gains most where members disagree.</p>\n");
        figure(Charts.heatmap("Pairwise disagreement", "member", ids, "member", ids, dis, "disagreement", 0,
                Math.max(max, 1e-6)), Math.min(WIDE, 300 + 50 * ids.length), Math.min(700, 220 + 45 * ids.length),
                "disagreement-heatmap", "Pairwise disagreement");
        close();
    }

    // ---------------------------------------------------------------- averaging parameters

    private void averaging() {
        List<JsonNode> swa = data.evaluatedModels().stream().filter(m -> m.path("kind").asText().equals("swa")).toList();
        Optional<JsonNode> cross = data.evaluatedModels().stream()
                .filter(m -> m.path("kind").asText().equals("cross-average")).findFirst();
        open("averaging", "Averaging parameters: within one trajectory, across members");
        if (swa.isEmpty() && cross.isEmpty()) {
            html.append("<p>This run averaged no parameters (no SWA snapshots; ensemble.cross_average off).</p>\n");
            close();
            return;
        }
        html.append("<p class=\"note\">Averaging the parameters of snapshots along one trajectory (SWA, batch-norm "
                + "statistics recomputed) stays in one basin and works. Averaging independently trained members does "
                + "not: hidden units of two networks can be permuted without changing either network, so their "
                + "parameters do not line up, and the average is a network that matches neither. Chorus builds the "
                + "cross-member average only when ensemble.cross_average asks for it, to show this.</p>\n");
        List<String> cats = new ArrayList<>();
        double[] acc;
        List<Double> values = new ArrayList<>();
        html.append("<table class=\"averaging\"><thead><tr><th>model</th><th>test accuracy</th><th>test NLL</th>"
                + "<th>how it was made</th></tr></thead><tbody>\n");
        for (JsonNode m : data.evaluatedModels()) {
            String kind = m.path("kind").asText();
            if (!kind.equals("member") && !kind.equals("swa") && !kind.equals("cross-average")) {
                continue;
            }
            String id = m.path("id").asText();
            cats.add(id);
            values.add(m.path("test").path("accuracy").asDouble());
            html.append("<tr data-name=\"").append(esc(id)).append("\"><td>").append(esc(id))
                    .append("</td><td class=\"num\" data-metric=\"accuracy\" data-value=\"")
                    .append(m.path("test").path("accuracy").asDouble()).append("\">")
                    .append(f4(m.path("test").path("accuracy").asDouble())).append("</td><td class=\"num\">")
                    .append(f4(m.path("test").path("nll").asDouble())).append("</td><td class=\"method\">")
                    .append(esc(m.path("note").asText(kind.equals("member") ? "final network" : "")))
                    .append("</td></tr>\n");
        }
        html.append("</tbody></table>\n");
        acc = values.stream().mapToDouble(Double::doubleValue).toArray();
        figure(Charts.bars("Test accuracy: members, their trajectory averages, the cross-member average", "model",
                "test accuracy", cats, Map.of("test accuracy", acc), 0.0, 1.0), WIDE, 360, "averaging-bars",
                "Parameter averaging");
        close();
    }

    // ---------------------------------------------------------------- init and gradient diagnostics

    private void diagnostics() {
        open("diagnostics", "Initialization and gradient diagnostics");
        JsonNode model = data.run().path("configuration").path("model");
        html.append("<p class=\"note\">Model ").append(esc(model.path("arch").asText())).append(", init ")
                .append(esc(model.path("init").asText()))
                .append(model.path("init").asText().equals("normal") ? " (sigma " + model.path("init_sigma").asText() + ")" : "")
                .append(", activation ").append(esc(model.path("activation").asText())).append(", batch norm ")
                .append(model.path("batchnorm").asBoolean() ? "on" : "off")
                .append(". Left: each layer's output standard deviation on one batch of training images before any update, "
                        + "in training mode as the first update sees it (batch norm normalizes with the batch's "
                        + "statistics, dropout is on), i.e. what the initialization does to the signal; a good initialization keeps it roughly level, a naive Gaussian makes "
                        + "it grow or shrink geometrically with depth. Right: each trainable layer's gradient norm, "
                        + "averaged over the first updates; vanishing gradients fall towards the input layers, "
                        + "exploding ones rise.</p>\n");
        String[] layers = null;
        String[] weighted = null;
        List<Series> act = new ArrayList<>();
        List<Series> grad = new ArrayList<>();
        StringBuilder table = new StringBuilder();
        for (Map.Entry<Integer, MemberManifest> e : data.members().entrySet()) {
            InitDiagnostics d = e.getValue().getDiagnostics();
            if (d == null || d.layers().isEmpty()) {
                continue;
            }
            List<InitDiagnostics.LayerStats> all = d.layers();
            // Gradients of the layers holding weights (convolutions, dense, output); batch-norm scale and shift
            // gradients are on another scale and would hide the trend with depth.
            List<InitDiagnostics.LayerStats> withWeights = all.stream()
                    .filter(l -> !l.gradientNorm().isEmpty() && !l.kind().startsWith("BatchNormalization")).toList();
            if (layers == null) {
                layers = all.stream().map(InitDiagnostics.LayerStats::name).toArray(String[]::new);
                weighted = withWeights.stream().map(InitDiagnostics.LayerStats::name).toArray(String[]::new);
            }
            double[] x = new double[all.size()];
            double[] std = new double[all.size()];
            for (int i = 0; i < all.size(); i++) {
                x[i] = i;
                std[i] = all.get(i).activationStd();
            }
            double[] gx = new double[withWeights.size()];
            double[] g = new double[withWeights.size()];
            for (int i = 0; i < withWeights.size(); i++) {
                gx[i] = i;
                g[i] = withWeights.get(i).gradientNorm().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            }
            act.add(new Series("m" + e.getKey(), x, std));
            grad.add(new Series("m" + e.getKey(), gx, g));
            double lastHidden = all.size() > 1 ? std[all.size() - 2] : Double.NaN;
            double firstG = g.length > 0 ? g[0] : Double.NaN;
            double lastG = g.length > 0 ? g[g.length - 1] : Double.NaN;
            table.append("<tr data-member=\"").append(e.getKey()).append("\"><td>m").append(e.getKey())
                    .append("</td><td class=\"num\">").append(d.examples()).append("</td><td class=\"num\">")
                    .append(sci(std[0])).append("</td><td class=\"num\">").append(sci(lastHidden))
                    .append("</td><td class=\"num\">").append(d.iterations()).append("</td><td class=\"num\">")
                    .append(sci(firstG)).append("</td><td class=\"num\">").append(sci(lastG))
                    .append("</td><td class=\"num\">").append(sci(firstG / lastG)).append("</td></tr>\n");
        }
        if (layers == null) {
            html.append("<p>The members of this run recorded no diagnostics (they were trained by an earlier "
                    + "version of Chorus).</p>\n");
            close();
            return;
        }
        html.append("<div class=\"grid\">\n");
        figure(Charts.perLayer("Activation std at initialization", "output std", layers, act), NARROW + 20, 400,
                "diagnostics-activations", "Activation standard deviation per layer");
        figure(Charts.perLayer("Gradient norm over the first updates", "gradient L2 norm", weighted, grad),
                NARROW + 20, 400, "diagnostics-gradients", "Gradient norm per layer with weights");
        html.append("</div>\n<table class=\"diagnostics\"><thead><tr><th>member</th><th>images</th>"
                + "<th>std, first layer</th><th>std, last hidden layer</th><th>updates</th>"
                + "<th>gradient, first layer</th><th>gradient, output layer</th><th>first / output</th></tr></thead>"
                + "<tbody>\n").append(table).append("</tbody></table>\n");
        close();
    }

    // ---------------------------------------------------------------- provenance

    private void provenance() {
        open("provenance", "Provenance");
        JsonNode run = data.run();
        html.append("<table class=\"facts\"><tbody>\n");
        fact("job", run.path("job").asText());
        fact("status", run.path("status").asText());
        fact("started", run.path("started").asText());
        fact("ended", run.path("ended").asText());
        fact("wall time of training", String.format(Locale.ROOT, "%.1f s", run.path("wall_seconds").asDouble()));
        fact("job seed", run.path("seed").asText());
        run.path("versions").fields().forEachRemaining(e -> fact("version of " + e.getKey(), e.getValue().asText()));
        JsonNode spark = run.path("spark");
        spark.fields().forEachRemaining(e -> fact("spark " + e.getKey().replace('_', ' '),
                e.getValue().isContainerNode() ? e.getValue().toString() : e.getValue().asText()));
        JsonNode ev = run.path("evaluation");
        if (!ev.isMissingNode() && !ev.isNull()) {
            fact("evaluation", ev.toString());
        }
        fact("data directory", run.path("data").path("dir").asText());
        html.append("</tbody></table>\n<h3>Data files</h3>\n<table class=\"files\"><thead><tr><th>file</th>"
                + "<th>bytes</th><th>SHA-256</th></tr></thead><tbody>\n");
        for (String set : List.of("train_files", "test_files")) {
            for (JsonNode f : run.path("data").path(set)) {
                html.append("<tr><td>").append(esc(f.path("path").asText())).append("</td><td class=\"num\">")
                        .append(f.path("bytes").asLong()).append("</td><td class=\"hash\">")
                        .append(esc(f.path("sha256").asText())).append("</td></tr>\n");
            }
        }
        html.append("</tbody></table>\n<h3>Members</h3>\n<table class=\"members\"><thead><tr><th>member</th>"
                + "<th>seed</th><th>status</th><th>reason</th><th>executor</th><th>host</th><th>pid</th>"
                + "<th>attempts</th><th>training s</th><th>images/s</th></tr></thead><tbody>\n");
        for (JsonNode m : data.runMembers()) {
            double secs = m.path("train_seconds").asDouble();
            html.append("<tr data-member=\"").append(m.path("id").asInt()).append("\" data-status=\"")
                    .append(esc(m.path("status").asText())).append("\"><td>m").append(m.path("id").asInt())
                    .append("</td><td class=\"num\">").append(m.path("seed").asText()).append("</td><td>")
                    .append(esc(m.path("status").asText())).append("</td><td>")
                    .append(esc(m.path("reason").isNull() ? "" : m.path("reason").asText())).append("</td><td>")
                    .append(esc(m.path("executor").asText(""))).append("</td><td>").append(esc(m.path("host").asText("")))
                    .append("</td><td class=\"num\">").append(esc(m.path("pid").asText(""))).append("</td><td>")
                    .append(attempts(m.path("attempts"))).append("</td><td class=\"num\">")
                    .append(String.format(Locale.ROOT, "%.1f", secs)).append("</td><td class=\"num\">")
                    .append(secs > 0 ? String.format(Locale.ROOT, "%.0f", m.path("images_seen").asDouble() / secs) : "&ndash;")
                    .append("</td></tr>\n");
        }
        html.append("</tbody></table>\n");
        List<String> quarantined = new ArrayList<>();
        data.members().forEach((id, m) -> m.getQuarantined().forEach(q -> quarantined.add("m" + id + ": "
                + q.snapshot().path() + " (recorded SHA-256 " + q.snapshot().sha256() + ", found " + q.actualSha256()
                + ", " + q.when() + ")")));
        if (!quarantined.isEmpty()) {
            html.append("<h3>Quarantined snapshots</h3>\n<p class=\"note\">Committed snapshots whose checksum failed "
                    + "when their member resumed: moved to snapshots/quarantine/, never used.</p>\n<ul class=\"quarantined\">\n");
            quarantined.forEach(q -> html.append("<li>").append(esc(q)).append("</li>\n"));
            html.append("</ul>\n");
        }
        data.metrics().ifPresent(mt -> {
            List<String> notes = new ArrayList<>();
            mt.path("excluded").forEach(x -> notes.add("excluded from evaluation: " + x.toString()));
            mt.path("notes").forEach(x -> notes.add(x.asText()));
            if (!notes.isEmpty()) {
                html.append("<h3>Evaluation notes</h3>\n<ul>\n");
                notes.forEach(n -> html.append("<li>").append(esc(n)).append("</li>\n"));
                html.append("</ul>\n");
            }
        });
        html.append("<details open><summary>Configuration (job.yaml of the run)</summary>\n<pre class=\"config\">")
                .append(esc(data.jobYaml().orElse(run.path("configuration").toPrettyString()))).append("</pre></details>\n");
        close();
    }

    private static String attempts(JsonNode attempts) {
        StringBuilder s = new StringBuilder();
        for (JsonNode a : attempts) {
            if (s.length() > 0) {
                s.append("<br>");
            }
            s.append('#').append(a.path("number").asInt()).append(' ').append(esc(a.path("outcome").asText()))
                    .append(" on ").append(esc(a.path("executor").asText())).append(", from iteration ")
                    .append(a.path("resumed_at").asLong());
            if (a.path("gpus").size() > 0) {
                List<String> gpus = new ArrayList<>();
                a.path("gpus").forEach(g -> gpus.add(g.asText()));
                s.append(", GPU ").append(esc(String.join(",", gpus)));
            }
        }
        return s.toString();
    }

    private void fact(String key, String value) {
        html.append("<tr><th>").append(esc(key)).append("</th><td>").append(esc(value)).append("</td></tr>\n");
    }

    // ---------------------------------------------------------------- helpers

    /** Closes the open section with a note if the run has no evaluation; true if it had none. */
    private boolean notEvaluated() {
        if (data.metrics().isPresent()) {
            return false;
        }
        html.append("<p>Not evaluated.</p>\n");
        close();
        return true;
    }

    private void open(String id, String title) {
        html.append("<section id=\"").append(id).append("\">\n<h2>").append(esc(title)).append("</h2>\n");
    }

    private void close() {
        html.append("</section>\n");
    }

    private void figure(org.jfree.chart.JFreeChart chart, int width, int height, String id, String caption) {
        figures++;
        html.append("<figure id=\"fig-").append(id).append("\">").append(Charts.svg(chart, width, height, "c" + figures))
                .append("<figcaption>").append(esc(caption)).append("</figcaption></figure>\n");
    }

    private static double[] doubles(JsonNode array) {
        double[] v = new double[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = array.get(i).asDouble();
        }
        return v;
    }

    static String f4(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "&ndash;";
    }

    private static String sci(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3g", v) : "&ndash;";
    }

    private static String signed(double v, int decimals) {
        String s = String.format(Locale.ROOT, "%+." + decimals + "f", v);
        return s.startsWith("-") ? "&minus;" + s.substring(1) : s;
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static final String CSS = """
            body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
                   color: #1d1d1d; margin: 0 auto; max-width: 1200px; padding: 0 24px 48px; }
            header { border-bottom: 1px solid #ccc; margin-bottom: 16px; }
            h1 { font-size: 24px; margin: 20px 0 4px; }
            h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid #e3e3e3; padding-bottom: 4px; }
            h3 { font-size: 16px; margin: 20px 0 6px; }
            .meta { color: #555; margin: 0 0 8px; word-break: break-all; }
            .headline { background: #f3f7fb; border-left: 4px solid #0072B2; padding: 8px 14px; margin: 10px 0; }
            .headline p { margin: 4px 0; }
            .gains { margin: 4px 0; padding-left: 20px; }
            .gains li.top { font-weight: 600; }
            nav { margin: 10px 0 12px; }
            nav a { margin-right: 12px; color: #0b5394; text-decoration: none; text-transform: capitalize; }
            .note { color: #444; font-size: 14px; max-width: 70em; }
            table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13.5px; }
            th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 8px; text-align: left; vertical-align: top; }
            thead th { border-bottom: 2px solid #999; background: #fafafa; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            td.best { font-weight: 700; color: #00457a; }
            td.method { color: #555; font-size: 12.5px; max-width: 28em; }
            td.diag { font-weight: 700; }
            td.hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
            .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 12px; }
            .grid.small { grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); }
            figure { margin: 0; }
            figcaption { color: #666; font-size: 12.5px; text-align: center; }
            pre.config { background: #f7f7f7; padding: 10px; font-size: 12.5px; overflow-x: auto; }
            details summary { cursor: pointer; color: #0b5394; margin: 6px 0; }
            @media print {
              body { max-width: none; padding: 0; font-size: 11pt; }
              nav { display: none; }
              section { break-inside: avoid-page; }
              figure, table { break-inside: avoid; }
              .grid { grid-template-columns: 1fr 1fr; }
              a { color: inherit; }
            }
            """;
}
