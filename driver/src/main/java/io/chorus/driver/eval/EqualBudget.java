package io.chorus.driver.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The comparison a user brings to Chorus: what each way of spending training compute buys, side by side with
 * its cost. One row each for the best member (one network of the job's length), the reference model trained
 * for the ensemble's whole budget (compare.single_budget), the member ensembles (average, vote, weighted
 * average, greedy selection), every run's snapshot ensemble and trajectory average, the head-only ensemble and
 * MC dropout, each with its training cost and its test
 * accuracy, NLL and ECE, uncalibrated and after temperature scaling on the validation split, and the seconds
 * its inference took on the test split.
 */
public final class EqualBudget {

    private EqualBudget() {
    }

    /** One way of spending the budget. Metrics are on the test split; {@code *Scaled} after temperature scaling. */
    public record Row(String name, String what, Double memberEpochs, Double coreSeconds, double accuracy, double nll,
                      double ece, Double temperature, Double nllScaled, Double eceScaled, Double inferenceSeconds) {
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("what", what);
            m.put("member_epochs", memberEpochs);
            m.put("core_seconds", coreSeconds);
            m.put("accuracy", accuracy);
            m.put("nll", nll);
            m.put("ece", ece);
            m.put("temperature", temperature);
            m.put("nll_temperature_scaled", nllScaled);
            m.put("ece_temperature_scaled", eceScaled);
            m.put("inference_seconds", inferenceSeconds);
            return m;
        }
    }

    /**
     * The rows, from the {@code models} and {@code ensembles} of metrics.json as {@link EnsembleReport} builds
     * them; rows whose model or ensemble the evaluation did not build are left out.
     */
    static List<Row> rows(List<Map<String, Object>> models, List<Map<String, Object>> ensembles, String best,
                          List<String> references) {
        List<Row> rows = new ArrayList<>();
        if (best != null) {
            find(models, "id", best).ifPresent(m -> rows.add(row(m, "one member",
                    "the best member (" + best + ", highest validation accuracy): one network of the job's length")));
        }
        for (String r : references) {
            find(models, "id", r).ifPresent(m -> rows.add(row(m, "single model, same budget",
                    "one network trained for the ensemble's whole budget (" + r + ", compare.single_budget)")));
        }
        for (String name : List.of("average", "vote", "average-weighted", "selection")) {
            find(ensembles, "name", name).ifPresent(e -> rows.add(row(e, name, (String) e.get("method"))));
        }
        // every run's snapshot ensemble and trajectory average: each is compared with its own run's final network
        for (Map<String, Object> e : ensembles) {
            String name = (String) e.get("name");
            if (name.startsWith("snapshot-")) {
                rows.add(row(e, name, "snapshot ensemble of one run: " + e.get("method")));
            }
        }
        for (Map<String, Object> m : models) {
            if (ModelRef.Kind.SWA.configName().equals(m.get("kind"))) {
                rows.add(row(m, (String) m.get("id"), "trajectory average (SWA) of one run, member " + m.get("member")
                        + ", batch-norm statistics recomputed"));
            }
        }
        find(ensembles, "name", "heads").ifPresent(e -> rows.add(row(e, "heads", (String) e.get("method"))));
        for (Map<String, Object> m : models) {
            if (ModelRef.Kind.MC_DROPOUT.configName().equals(m.get("kind"))) {
                rows.add(row(m, (String) m.get("id"), "MC dropout: " + m.get("note")));
            }
        }
        return rows;
    }

    @SuppressWarnings("unchecked")
    private static Row row(Map<String, Object> item, String name, String what) {
        Map<String, Object> test = (Map<String, Object>) item.get("test");
        Map<String, Object> cost = (Map<String, Object>) item.get("cost");
        Map<String, Object> ts = (Map<String, Object>) item.get("temperature_scaled");
        Map<String, Object> tsTest = ts == null ? null : (Map<String, Object>) ts.get("test");
        return new Row(name, what, cost == null ? null : num(cost.get("member_epochs")),
                cost == null ? null : num(cost.get("core_seconds")), num(test.get("accuracy")), num(test.get("nll")),
                num(test.get("ece")), ts == null ? null : num(ts.get("temperature")),
                tsTest == null ? null : num(tsTest.get("nll")), tsTest == null ? null : num(tsTest.get("ece")),
                num(item.get("inference_seconds")));
    }

    private static Double num(Object o) {
        return o == null ? null : ((Number) o).doubleValue();
    }

    private static Optional<Map<String, Object>> find(List<Map<String, Object>> items, String key, String value) {
        return items.stream().filter(i -> value.equals(i.get(key))).findFirst();
    }
}
