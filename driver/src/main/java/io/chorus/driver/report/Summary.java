package io.chorus.driver.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import io.chorus.worker.train.EpochMetrics;
import io.chorus.worker.train.MemberManifest;

/**
 * The report's summary: one row per model and ensemble of eval/metrics.json with its test metrics, the
 * inference time the evaluation measured, the parameters it needs and the training time that went into it.
 *
 * <p>Costs of an ensemble: parameters are the sum over its distinct models (a snapshot ensemble stores and
 * runs each snapshot); training time is each source member's time up to its latest snapshot used, plus the
 * time to build derived models (SWA averages, heads). The heads ensemble counts the backbone member's whole
 * network plus its heads, since its own head is not separated from the backbone in the files.
 */
public final class Summary {

    /** The columns of the summary table and of metrics.csv, in order. */
    public enum Column {
        ACCURACY("test accuracy", true), NLL("test NLL", false), BRIER("Brier", false), ECE("ECE", false),
        NLL_T("NLL (T-scaled)", false), ECE_T("ECE (T-scaled)", false), INFERENCE("inference s", false), PARAMETERS("parameters", false), TRAINING("training s", false);

        public final String label;
        public final boolean higherIsBetter;

        Column(String label, boolean higherIsBetter) {
            this.label = label;
            this.higherIsBetter = higherIsBetter;
        }

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param name    model id or ensemble name
     * @param kind    the model's kind (member, snapshot, swa, cross-average, head, mc-dropout) or "ensemble"
     * @param method  how it was made, in words
     * @param values  by column; null where unknown (e.g. a head alone has no inference time)
     * @param validationAccuracy validation accuracy (NaN without)
     * @param validationNll      validation NLL (NaN without)
     * @param headline true for rows in the main table (members, derived models, ensembles), false for
     *                 snapshots and single heads, which the page folds away
     */
    public record Row(String name, String kind, String method, Map<Column, Double> values,
                      double validationAccuracy, double validationNll, boolean headline) {
        public Double get(Column c) {
            return values.get(c);
        }
    }

    private final ReportData data;

    public Summary(ReportData data) {
        this.data = data;
    }

    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (JsonNode m : data.evaluatedModels()) {
            String id = m.path("id").asText();
            String kind = m.path("kind").asText();
            Map<Column, Double> v = metricValues(m);
            v.put(Column.INFERENCE, number(m.get("inference_seconds")));
            v.put(Column.PARAMETERS, number(m.get("parameters")));
            v.put(Column.TRAINING, trainSeconds(m));
            boolean headline = !kind.equals("snapshot") && !kind.equals("head");
            rows.add(new Row(id, kind, methodOf(m), v, val(m, "accuracy"), val(m, "nll"), headline));
        }
        for (JsonNode e : data.ensembles()) {
            Map<Column, Double> v = metricValues(e);
            v.put(Column.INFERENCE, number(e.get("inference_seconds")));
            List<JsonNode> parts = new ArrayList<>();
            e.path("members").forEach(id -> data.model(id.asText()).ifPresent(parts::add));
            v.put(Column.PARAMETERS, ensembleParameters(parts));
            v.put(Column.TRAINING, ensembleTrainSeconds(parts));
            rows.add(new Row(e.path("name").asText(), "ensemble", e.path("method").asText(""), v,
                    val(e, "accuracy"), val(e, "nll"), true));
        }
        return rows;
    }

    /** For each column, the names of the headline rows holding its best value (ties all marked). */
    public static Map<Column, Set<String>> best(List<Row> rows) {
        Map<Column, Set<String>> best = new LinkedHashMap<>();
        for (Column c : Column.values()) {
            Optional<Double> top = rows.stream().filter(Row::headline).map(r -> r.get(c))
                    .filter(x -> x != null && Double.isFinite(x))
                    .max(c.higherIsBetter ? Comparator.naturalOrder() : Comparator.<Double>reverseOrder());
            Set<String> names = new LinkedHashSet<>();
            top.ifPresent(t -> rows.stream().filter(Row::headline)
                    .filter(r -> r.get(c) != null && r.get(c).doubleValue() == t).forEach(r -> names.add(r.name())));
            best.put(c, names);
        }
        return best;
    }

    /** The test metrics of a model or ensemble, and those after temperature scaling where metrics.json has them. */
    private static Map<Column, Double> metricValues(JsonNode modelOrEnsemble) {
        JsonNode test = modelOrEnsemble.path("test");
        JsonNode scaled = modelOrEnsemble.path("temperature_scaled").path("test");
        Map<Column, Double> v = new LinkedHashMap<>();
        v.put(Column.ACCURACY, number(test.get("accuracy")));
        v.put(Column.NLL, number(test.get("nll")));
        v.put(Column.BRIER, number(test.get("brier")));
        v.put(Column.ECE, number(test.get("ece")));
        v.put(Column.NLL_T, number(scaled.get("nll")));
        v.put(Column.ECE_T, number(scaled.get("ece")));
        return v;
    }

    private static double val(JsonNode m, String metric) {
        Double d = number(m.path("validation").get(metric));
        return d == null ? Double.NaN : d;
    }

    static Double number(JsonNode n) {
        return n == null || n.isNull() || !n.isNumber() ? null : n.asDouble();
    }

    private String methodOf(JsonNode m) {
        String note = m.path("note").asText("");
        if (!note.isEmpty()) {
            return note;
        }
        return switch (m.path("kind").asText()) {
            case "member" -> "member " + m.path("member").asInt() + ", final network (epoch " + m.path("epoch").asInt() + ")";
            case "snapshot" -> "member " + m.path("member").asInt() + ", snapshot at epoch " + m.path("epoch").asInt();
            default -> m.path("kind").asText();
        };
    }

    /** A member's training seconds up to the end of {@code epoch} (all of it when epoch is 0 or unknown). */
    double memberSecondsUpTo(int member, int epoch) {
        MemberManifest m = data.members().get(member);
        if (m == null) {
            return Double.NaN;
        }
        if (epoch <= 0 || m.getEpochs().isEmpty() || epoch >= m.getEpochs().size()) {
            return m.getTrainSeconds();
        }
        double s = 0;
        for (EpochMetrics e : m.getEpochs()) {
            if (e.epoch() <= epoch) {
                s += e.seconds();
            }
        }
        return s;
    }

    private double buildSeconds(String id) {
        return data.modelBuild(id).map(b -> number(b.get("build_seconds"))).map(Double::doubleValue).orElse(0.0);
    }

    private Double trainSeconds(JsonNode m) {
        String id = m.path("id").asText();
        int member = m.path("member").asInt(-1);
        double t = switch (m.path("kind").asText()) {
            case "member", "mc-dropout" -> memberSecondsUpTo(member, 0);
            case "snapshot" -> memberSecondsUpTo(member, m.path("epoch").asInt());
            case "swa" -> memberSecondsUpTo(member, 0) + buildSeconds(id);
            case "head" -> buildSeconds(id);
            case "cross-average" -> data.members().keySet().stream()
                    .mapToDouble(i -> memberSecondsUpTo(i, 0)).sum() + buildSeconds(id);
            default -> Double.NaN;
        };
        return Double.isFinite(t) ? t : null;
    }

    private Double ensembleParameters(List<JsonNode> parts) {
        double p = 0;
        Set<String> seen = new LinkedHashSet<>();
        Set<Integer> backbones = new LinkedHashSet<>();
        for (JsonNode m : parts) {
            if (!seen.add(m.path("id").asText())) {
                continue;
            }
            Double n = number(m.get("parameters"));
            if (n == null) {
                return null;
            }
            p += n;
            if (m.path("kind").asText().equals("head")) {
                backbones.add(m.path("member").asInt());
            }
        }
        for (int b : backbones) {
            Optional<JsonNode> member = data.model("m" + b);
            Double n = member.map(x -> number(x.get("parameters"))).orElse(null);
            if (n == null) {
                return null;
            }
            p += n;
        }
        return parts.isEmpty() ? null : p;
    }

    private Double ensembleTrainSeconds(List<JsonNode> parts) {
        Map<Integer, Integer> latestEpoch = new LinkedHashMap<>();
        double derived = 0;
        Set<String> seen = new LinkedHashSet<>();
        for (JsonNode m : parts) {
            String id = m.path("id").asText();
            if (!seen.add(id)) {
                continue;
            }
            int member = m.path("member").asInt(-1);
            String kind = m.path("kind").asText();
            int epoch = kind.equals("snapshot") ? m.path("epoch").asInt() : 0;
            if (member >= 0) {
                latestEpoch.merge(member, epoch, (a, b) -> a == 0 || b == 0 ? 0 : Math.max(a, b));
            }
            if (kind.equals("swa") || kind.equals("head")) {
                derived += buildSeconds(id);
            }
        }
        if (parts.isEmpty()) {
            return null;
        }
        double t = derived;
        for (Map.Entry<Integer, Integer> e : latestEpoch.entrySet()) {
            t += memberSecondsUpTo(e.getKey(), e.getValue());
        }
        return Double.isFinite(t) ? t : null;
    }
}
