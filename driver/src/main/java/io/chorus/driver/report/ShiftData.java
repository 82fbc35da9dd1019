package io.chorus.driver.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;

import io.chorus.driver.report.Charts.Series;

/**
 * The dataset-shift figures of eval/metrics.json's {@code shift} section, as the report shows them: per model or
 * ensemble, accuracy, NLL and ECE against severity (mean over the corruption kinds), and per kind the figures at
 * the worst severity. Read as they are, never recomputed.
 *
 * @param kinds      the corruption kinds, in the evaluation's order
 * @param examples   the test images scored under shift
 * @param worst      the worst (highest) severity
 * @param bestMember the best member the shift rows use
 * @param lines      one per model or ensemble, in metrics.json order
 */
public record ShiftData(List<String> kinds, int examples, int worst, String bestMember, List<Line> lines) {

    /** Accuracy, NLL and ECE of one model under one condition. */
    public record Figures(double accuracy, double nll, double ece) {
        static Figures of(JsonNode n) {
            return new Figures(n.path("accuracy").asDouble(Double.NaN), n.path("nll").asDouble(Double.NaN),
                    n.path("ece").asDouble(Double.NaN));
        }
    }

    /**
     * One model or ensemble.
     *
     * @param mean        by severity 0..worst, the mean over kinds
     * @param worstByKind by kind, the figures at the worst severity
     * @param worstMean   the mean over kinds at the worst severity
     */
    public record Line(String name, String kind, List<Figures> mean, Map<String, Figures> worstByKind, Figures worstMean) {
    }

    /** The shift section of the run's evaluation, if it scored dataset shift. */
    public static Optional<ShiftData> of(ReportData data) {
        JsonNode s = data.metrics().map(m -> m.path("shift")).orElse(null);
        if (s == null || !s.path("rows").isArray()) {
            return Optional.empty();
        }
        List<String> kinds = new ArrayList<>();
        s.path("kinds").forEach(k -> kinds.add(k.asText()));
        List<Line> lines = new ArrayList<>();
        int worst = 0;
        for (JsonNode r : s.path("rows")) {
            List<Figures> mean = new ArrayList<>();
            r.path("mean").forEach(p -> mean.add(Figures.of(p)));
            Map<String, Figures> byKind = new LinkedHashMap<>();
            r.path("worst").path("by_kind").fields().forEachRemaining(e -> byKind.put(e.getKey(), Figures.of(e.getValue())));
            worst = r.path("worst").path("severity").asInt(worst);
            lines.add(new Line(r.path("name").asText(), r.path("kind").asText(), mean, byKind,
                    Figures.of(r.path("worst").path("mean"))));
        }
        return Optional.of(new ShiftData(kinds, s.path("examples").asInt(), worst, s.path("best_member").asText(),
                lines));
    }

    /** One series per line (but those {@code skip} names): {@code metric} of the mean over kinds against severity. */
    public List<Series> series(Function<Figures, Double> metric, List<String> skip) {
        List<Series> out = new ArrayList<>();
        for (Line l : lines) {
            if (skip.contains(l.name())) {
                continue;
            }
            double[] x = new double[l.mean().size()];
            double[] y = new double[x.length];
            for (int s = 0; s < x.length; s++) {
                x[s] = s;
                y[s] = metric.apply(l.mean().get(s));
            }
            out.add(new Series(l.name() + (l.kind().equals("best-member") ? " (best member)" : ""), x, y));
        }
        return out;
    }

    /** The line of a model or ensemble by name. */
    public Optional<Line> line(String name) {
        return lines.stream().filter(l -> l.name().equals(name)).findFirst();
    }
}
