package io.chorus.driver.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.config.ConfigException;
import io.chorus.driver.config.JobConfig;
import io.chorus.driver.eval.EqualBudget;
import io.chorus.driver.run.RunLayout;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.MemberSpec;
import io.chorus.worker.train.TrainSpec;
import io.chorus.worker.train.SnapshotStore;

/**
 * Everything a report shows, read from a run directory: run.json, every member's member.json, and the
 * evaluation (eval/metrics.json, eval/models.json) when there is one. Nothing is recomputed: the report
 * shows the numbers those files hold.
 *
 * @param runDir   the run directory as given
 * @param run      run.json
 * @param jobYaml  the run's job.yaml, as written when it started
 * @param members  each member's manifest by member id; a member that never started has none
 * @param metrics  eval/metrics.json, if the run was evaluated
 * @param models   eval/models.json, if the run was evaluated
 */
public record ReportData(String runDir, JsonNode run, Optional<String> jobYaml, Map<Integer, MemberManifest> members,
                         Optional<JsonNode> metrics, Optional<JsonNode> models) {

    /** The ten Fashion-MNIST classes, in label order. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Reads a run directory; a missing or unreadable run.json is an {@link IllegalArgumentException}. */
    public static ReportData read(FileSystem fs, Path runDir) throws IOException {
        Path runJson = new Path(runDir, RunLayout.RUN_JSON);
        if (!fs.exists(runJson)) {
            throw new IllegalArgumentException(runDir + " is not a Chorus run directory: it has no run.json");
        }
        JsonNode run = readJson(fs, runJson);
        Map<Integer, MemberManifest> members = new LinkedHashMap<>();
        for (JsonNode m : run.path("members")) {
            Path dir = new Path(runDir, m.path("dir").asText());
            Optional<MemberManifest> manifest;
            try {
                manifest = new SnapshotStore(fs, dir).readManifest();
            } catch (IOException e) {
                throw new IllegalArgumentException(new Path(dir, "member.json") + " is not a readable member manifest: "
                        + e.getMessage(), e);
            }
            manifest.ifPresent(x -> members.put(m.path("id").asInt(), x));
        }
        Path eval = new Path(runDir, RunLayout.EVAL);
        Optional<JsonNode> metrics = optionalJson(fs, new Path(eval, "metrics.json"));
        Optional<JsonNode> models = optionalJson(fs, new Path(eval, "models.json"));
        Path job = new Path(runDir, RunLayout.JOB_YAML);
        Optional<String> jobYaml = fs.exists(job)
                ? Optional.of(new String(HadoopFiles.readAll(fs, job), StandardCharsets.UTF_8)) : Optional.empty();
        return new ReportData(runDir.toString(), run, jobYaml, members, metrics, models);
    }

    private static Optional<JsonNode> optionalJson(FileSystem fs, Path p) throws IOException {
        return fs.exists(p) ? Optional.of(readJson(fs, p)) : Optional.empty();
    }

    private static JsonNode readJson(FileSystem fs, Path p) throws IOException {
        String text = new String(HadoopFiles.readAll(fs, p), StandardCharsets.UTF_8);
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(p + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Number of classes: from the evaluation, else from the configuration. */
    public int classes() {
        return metrics.map(m -> m.path("classes").asInt()).filter(c -> c > 0)
                .orElse(run.path("configuration").path("data").path("classes").asInt(0));
    }

    /**
     * Class names: Fashion-MNIST's when the data is Fashion-MNIST (ten classes and a data directory or file
     * named after it), the class indexes otherwise.
     */
    public List<String> classNames() {
        int k = classes();
        boolean fashion = k == 10 && run.path("data").toString().toLowerCase(java.util.Locale.ROOT).contains("fashion");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            names.add(fashion ? FASHION_MNIST_CLASSES.get(i) : Integer.toString(i));
        }
        return names;
    }

    /** Members in id order, as run.json lists them. */
    public List<JsonNode> runMembers() {
        List<JsonNode> list = new ArrayList<>();
        run.path("members").forEach(list::add);
        return list;
    }

    /** eval/metrics.json's models, in file order (empty without an evaluation). */
    public List<JsonNode> evaluatedModels() {
        List<JsonNode> list = new ArrayList<>();
        metrics.ifPresent(m -> m.path("models").forEach(list::add));
        return list;
    }

    /** eval/metrics.json's ensembles, in file order (empty without an evaluation). */
    public List<JsonNode> ensembles() {
        List<JsonNode> list = new ArrayList<>();
        metrics.ifPresent(m -> m.path("ensembles").forEach(list::add));
        return list;
    }

    /** A model of eval/metrics.json by id. */
    public Optional<JsonNode> model(String id) {
        return evaluatedModels().stream().filter(m -> m.path("id").asText().equals(id)).findFirst();
    }

    /** A model of eval/models.json (how it was built) by id. */
    public Optional<JsonNode> modelBuild(String id) {
        if (models.isEmpty()) {
            return Optional.empty();
        }
        for (JsonNode m : models.get().path("models")) {
            if (m.path("id").asText().equals(id)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /**
     * eval/metrics.json's equal-budget rows ({@link EqualBudget}), read back into the records the evaluation wrote
     * (empty without an evaluation, or for one from before training costs were recorded).
     */
    public List<EqualBudget.Row> equalBudget() {
        List<EqualBudget.Row> rows = new ArrayList<>();
        metrics.ifPresent(m -> m.path("equal_budget").forEach(r -> rows.add(new EqualBudget.Row(
                r.path("name").asText(), r.path("what").asText(), number(r, "member_epochs"), number(r, "core_seconds"),
                r.path("accuracy").asDouble(), r.path("nll").asDouble(), r.path("ece").asDouble(),
                number(r, "temperature"), number(r, "nll_temperature_scaled"), number(r, "ece_temperature_scaled"),
                number(r, "inference_seconds")))));
        return rows;
    }

    private static Double number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isNumber() ? null : v.asDouble();
    }

    /**
     * What member {@code id} trained with, from the run's job.yaml read as a job configuration (the member's own
     * keys over the job's, the reference model's budget); empty if the run has no readable job.yaml.
     */
    public Optional<TrainSpec> trainSpec(int id) {
        if (jobYaml.isEmpty()) {
            return Optional.empty();
        }
        try {
            List<MemberSpec> specs = JobConfig.parse(jobYaml.get(), RunLayout.JOB_YAML, List.of()).memberSpecs();
            return id < specs.size() ? Optional.of(specs.get(id).train()) : Optional.empty();
        } catch (ConfigException e) {
            return Optional.empty();
        }
    }

    /** The best member as the evaluation chose it (on the validation split). */
    public Optional<String> bestMember() {
        return metrics.map(m -> m.path("best_member").asText(null));
    }
}
