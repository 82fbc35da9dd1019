package io.chorus.driver;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The few lines {@code chorus evaluate} prints: each member, derived model and ensemble on the test split. */
final class EvaluationSummary {
    private EvaluationSummary() {
    }

    @SuppressWarnings("unchecked")
    static void print(Map<String, Object> metrics, PrintStream out) {
        out.println("chorus: model/ensemble         accuracy  nll     brier   ece     infer_s");
        for (Map<String, Object> m : (List<Map<String, Object>>) metrics.get("models")) {
            if ("snapshot".equals(m.get("kind"))) {
                continue;
            }
            line(out, (String) m.get("id"), (Map<String, Object>) m.get("test"), m.get("inference_seconds"));
        }
        for (Map<String, Object> e : (List<Map<String, Object>>) metrics.get("ensembles")) {
            line(out, (String) e.get("name"), (Map<String, Object>) e.get("test"), e.get("inference_seconds"));
        }
        Object best = metrics.get("best_member");
        for (Map<String, Object> g : (List<Map<String, Object>>) metrics.getOrDefault("gain_over_best_member", List.of())) {
            if ("average".equals(g.get("ensemble"))) {
                out.printf(Locale.ROOT, "chorus: average of the members against the best member (%s): accuracy %+.4f, "
                        + "NLL %+.1f%%%n", best, (double) g.get("accuracy"), 100 * (double) g.get("nll_relative"));
            }
        }
    }

    private static void line(PrintStream out, String name, Map<String, Object> t, Object seconds) {
        out.printf(Locale.ROOT, "chorus: %-24s %8.4f  %.4f  %.4f  %.4f  %s%n", name, (double) t.get("accuracy"),
                (double) t.get("nll"), (double) t.get("brier"), (double) t.get("ece"),
                seconds == null ? "-" : String.format(Locale.ROOT, "%.2f", ((Number) seconds).doubleValue()));
    }
}
