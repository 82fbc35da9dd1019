package io.chorus.driver.predict;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.run.RunLayout;
import io.chorus.ensemble.combine.Combiner;
import io.chorus.ensemble.combine.MajorityVote;
import io.chorus.ensemble.combine.MeanAverage;
import io.chorus.ensemble.combine.SelectionAverage;
import io.chorus.ensemble.combine.TemperatureScaled;
import io.chorus.ensemble.combine.WeightedAverage;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.data.Normalization;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.SnapshotStore;

/**
 * One ensemble of an evaluated run, resolved to the model files it needs: what batch prediction and the
 * Spark ML model carry to executors. It is read from eval/metrics.json (which models, which weights) and
 * eval/models.json (files and checksums), with each member's pixel normalization from its member.json.
 *
 * <p>Combiners: {@code average}, {@code average-weighted}, {@code vote}, {@code heads}, {@code selection}
 * are the evaluation's ensembles of those names; {@code snapshot} is the snapshot ensemble of the best
 * member (chosen on validation); {@code swa} averages the members' trajectory averages; any other
 * ensemble name of metrics.json (e.g. {@code snapshot-m2}) is taken as it is, and a model id of
 * eval/models.json (e.g. {@code m0}) is that model alone.
 *
 * <p>How the models are combined is a {@link Combiner}: {@code vote} votes ({@link MajorityVote}),
 * {@code average-weighted} takes the weights metrics.json lists ({@link WeightedAverage}), {@code selection}
 * counts each model as often as the selection picked it ({@link SelectionAverage}), every other ensemble is
 * the mean of its models ({@link MeanAverage}). {@link #calibrated} scales that with the temperature the
 * evaluation fitted for the ensemble on the validation split ({@link TemperatureScaled}).
 *
 * @param name     the ensemble asked for
 * @param combiner how the models' probabilities are combined, one model's after another in {@code models} order
 * @param models   the models, in the ensemble's order, each once
 * @param classes  number of classes
 * @param shape    the input shape the members were trained on
 * @param fittedTemperature the temperature eval/metrics.json has for this ensemble ({@code temperature_scaled}),
 *                 fitted on the validation split; null when the evaluation fitted none (vote, swa)
 */
public record EnsembleSpec(String name, Combiner combiner, List<Model> models, int classes, ImageShape shape,
                           Double fittedTemperature) implements Serializable {

    /** The combiners every evaluated run offers (when its evaluation built them). */
    public static final List<String> COMBINERS = List.of("average", "vote", "swa", "heads", "snapshot", "selection");

    /**
     * One model file.
     *
     * @param id      eval/models.json's id
     * @param path    absolute URI of the zip
     * @param sha256  its checksum
     * @param normalization pixel normalization of the member it comes from
     * @param backbone for a head: the member network whose features it reads (else null)
     */
    public record Model(String id, String path, String sha256, Normalization normalization, Model backbone)
            implements Serializable {
    }

    /** Resolves {@code combiner} in the evaluated run at {@code runDir}. */
    public static EnsembleSpec read(FileSystem fs, Path runDir, String combiner) throws IOException {
        JsonNode metrics = json(fs, new Path(runDir, "eval/metrics.json"), runDir);
        JsonNode models = json(fs, new Path(runDir, "eval/models.json"), runDir);
        Map<String, JsonNode> byId = new HashMap<>();
        models.path("models").forEach(m -> byId.put(m.path("id").asText(), m));
        int classes = metrics.path("classes").asInt();

        List<String> ids = new ArrayList<>();
        List<Double> picks = new ArrayList<>();
        JsonNode evaluated = null; // the ensemble's or model's entry of metrics.json
        if (combiner.equals("swa")) {
            byId.values().stream().filter(m -> m.path("kind").asText().equals("swa"))
                    .map(m -> m.path("id").asText()).sorted().forEach(id -> {
                        ids.add(id);
                        picks.add(1.0);
                    });
        } else {
            String ensembleName = combiner.equals("snapshot") ? "snapshot-" + metrics.path("best_member").asText()
                    : combiner;
            for (JsonNode x : metrics.path("ensembles")) {
                if (x.path("name").asText().equals(ensembleName)) {
                    evaluated = x;
                }
            }
            if (evaluated == null && byId.containsKey(combiner)
                    && !byId.get(combiner).path("kind").asText().equals("head")) {
                ids.add(combiner); // a single model
                picks.add(1.0);
                for (JsonNode x : metrics.path("models")) {
                    if (x.path("id").asText().equals(combiner)) {
                        evaluated = x;
                    }
                }
            } else if (evaluated == null) {
                List<String> names = new ArrayList<>();
                metrics.path("ensembles").forEach(x -> names.add(x.path("name").asText()));
                throw new IllegalArgumentException("ensemble " + combiner + ": " + runDir + " has no ensemble named "
                        + ensembleName + "; it has " + names + (byId.values().stream().anyMatch(
                                m -> m.path("kind").asText().equals("swa")) ? " and swa" : ""));
            } else {
                JsonNode w = evaluated.path("weights");
                for (int i = 0; i < evaluated.path("members").size(); i++) {
                    ids.add(evaluated.path("members").get(i).asText());
                    picks.add(w.isArray() && w.size() == evaluated.path("members").size() ? w.get(i).asDouble() : 1.0);
                }
            }
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("ensemble " + combiner + ": " + runDir + " has no models for it");
        }
        // Each model once, its weights added up (a selection picks models repeatedly).
        Map<String, Double> weightById = new java.util.LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            weightById.merge(ids.get(i), picks.get(i), Double::sum);
        }
        double total = weightById.values().stream().mapToDouble(Double::doubleValue).sum();
        List<Model> resolved = new ArrayList<>();
        double[] weights = new double[weightById.size()];
        Map<Integer, MemberManifest> manifests = new HashMap<>();
        int k = 0;
        for (Map.Entry<String, Double> e : weightById.entrySet()) {
            JsonNode m = byId.get(e.getKey());
            if (m == null) {
                throw new IllegalArgumentException("ensemble " + combiner + ": model " + e.getKey()
                        + " is not in " + new Path(runDir, "eval/models.json"));
            }
            int member = m.path("member").asInt();
            Normalization n = manifests.computeIfAbsent(member, i -> manifest(fs, runDir, i)).getNormalization();
            Model backbone = null;
            if (m.path("kind").asText().equals("head")) {
                JsonNode b = byId.get("m" + member);
                backbone = new Model(b.path("id").asText(), resolve(runDir, b), b.path("sha256").asText(), n, null);
            }
            resolved.add(new Model(e.getKey(), resolve(runDir, m), m.path("sha256").asText(), n, backbone));
            weights[k++] = e.getValue() / total;
        }
        ImageShape shape = manifests.values().iterator().next().getInput();
        JsonNode t = evaluated == null ? null : evaluated.path("temperature_scaled").path("temperature");
        Double temperature = t != null && t.isNumber() ? t.asDouble() : null;
        return new EnsembleSpec(combiner, evaluatedCombiner(evaluated, resolved, weights), List.copyOf(resolved), classes,
                shape, temperature);
    }

    /**
     * The combiner of an ensemble of metrics.json ({@code evaluated}; null for swa) over {@code models}: the
     * vote, the selection's picks counted per model, the listed weights, or the mean.
     */
    private static Combiner evaluatedCombiner(JsonNode evaluated, List<Model> models, double[] weights) {
        String name = evaluated == null || evaluated.has("id") ? "" : evaluated.path("name").asText();
        if (name.equals("vote")) {
            return new MajorityVote();
        }
        if (name.equals("selection") && evaluated.path("rounds").isArray() && evaluated.path("rounds").size() > 0) {
            int[] counts = new int[models.size()];
            for (JsonNode round : evaluated.path("rounds")) {
                String picked = round.path("picked").asText();
                for (int i = 0; i < models.size(); i++) {
                    counts[i] += models.get(i).id().equals(picked) ? 1 : 0;
                }
            }
            return new SelectionAverage(counts);
        }
        return evaluated != null && evaluated.path("weights").isArray() ? new WeightedAverage(weights) : new MeanAverage();
    }

    /**
     * This ensemble calibrated: its combiner scaled with {@link #fittedTemperature} ({@link TemperatureScaled});
     * itself if it is calibrated already.
     *
     * @throws IllegalArgumentException naming the ensemble when its run's eval/metrics.json has no temperature for it
     */
    public EnsembleSpec calibrated() {
        if (isCalibrated()) {
            return this;
        }
        if (fittedTemperature == null) {
            throw new IllegalArgumentException("ensemble " + name + " cannot be calibrated: its run's eval/metrics.json "
                    + "has no temperature_scaled.temperature for it (the evaluation fits one for every model and "
                    + "ensemble but vote and swa)");
        }
        return withCombiner(new TemperatureScaled(combiner, fittedTemperature));
    }

    /** Whether the combiner is temperature-scaled. */
    public boolean isCalibrated() {
        return combiner instanceof TemperatureScaled;
    }

    /** The temperature the combiner scales with, or null when it is not calibrated. */
    public Double appliedTemperature() {
        return combiner instanceof TemperatureScaled t ? t.temperature() : null;
    }

    /** This ensemble with {@code other} models (the same ones, elsewhere: a saved model's copies). */
    public EnsembleSpec withModels(List<Model> other) {
        return new EnsembleSpec(name, combiner, List.copyOf(other), classes, shape, fittedTemperature);
    }

    /**
     * This ensemble as a saved model keeps it (chorus/ensembles.json): name, combiner (its kind and parameters,
     * see {@link #combinerJson}), models, classes, shape and fitted temperature.
     */
    public Map<String, Object> toJson() {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("name", name);
        out.put("combiner", combinerJson(combiner));
        out.put("models", models);
        out.put("classes", classes);
        out.put("shape", shape);
        out.put("fitted_temperature", fittedTemperature);
        return out;
    }

    /**
     * The ensemble {@link #toJson} wrote; also reads what models saved before combiners had a kind wrote
     * ({@code vote}, a flag, and {@code weights}).
     *
     * @throws IllegalArgumentException naming what is missing or not valid
     */
    public static EnsembleSpec fromJson(JsonNode node) throws IOException {
        List<Model> models = List.of(Json.MAPPER.treeToValue(node.path("models"), Model[].class));
        Combiner combiner;
        if (node.has("combiner")) {
            combiner = combinerOf(node.path("combiner"));
        } else if (node.path("vote").asBoolean(false)) {
            combiner = new MajorityVote();
        } else {
            combiner = new WeightedAverage(Json.MAPPER.treeToValue(node.path("weights"), double[].class));
        }
        JsonNode t = node.path("fitted_temperature");
        return new EnsembleSpec(node.path("name").asText(), combiner, models, node.path("classes").asInt(),
                Json.MAPPER.treeToValue(node.path("shape"), ImageShape.class), t.isNumber() ? t.asDouble() : null);
    }

    /** A combiner as JSON: {@code {"kind": ...}} and its parameters (weights, counts, temperature and inner). */
    static Map<String, Object> combinerJson(Combiner c) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        if (c instanceof MeanAverage) {
            out.put("kind", "average");
        } else if (c instanceof MajorityVote) {
            out.put("kind", "vote");
        } else if (c instanceof WeightedAverage w) {
            out.put("kind", "weighted-average");
            out.put("weights", w.weights());
        } else if (c instanceof SelectionAverage sel) {
            out.put("kind", "selection");
            out.put("counts", sel.counts());
        } else if (c instanceof TemperatureScaled t) {
            out.put("kind", "temperature-scaled");
            out.put("temperature", t.temperature());
            out.put("inner", combinerJson(t.inner()));
        } else {
            throw new IllegalArgumentException("combiner " + c.name() + " (" + c.getClass().getName() + ") cannot be "
                    + "saved; expected one of io.chorus.ensemble.combine's");
        }
        return out;
    }

    /** The combiner {@link #combinerJson} wrote. */
    static Combiner combinerOf(JsonNode c) throws IOException {
        String kind = c.path("kind").asText();
        return switch (kind) {
            case "average" -> new MeanAverage();
            case "vote" -> new MajorityVote();
            case "weighted-average" -> new WeightedAverage(Json.MAPPER.treeToValue(c.path("weights"), double[].class));
            case "selection" -> new SelectionAverage(Json.MAPPER.treeToValue(c.path("counts"), int[].class));
            case "temperature-scaled" -> new TemperatureScaled(combinerOf(c.path("inner")),
                    c.path("temperature").asDouble(Double.NaN));
            default -> throw new IllegalArgumentException("combiner kind \"" + kind + "\" is not known; expected one of "
                    + "average, vote, weighted-average, selection, temperature-scaled");
        };
    }

    private EnsembleSpec withCombiner(Combiner other) {
        return new EnsembleSpec(name, other, models, classes, shape, fittedTemperature);
    }

    /**
     * Checks every file this ensemble reads (its models and their heads' backbones) against the SHA-256 that
     * eval/models.json records, here and now: a corrupt or replaced file is named before any task loads it.
     *
     * @throws IllegalArgumentException naming the first file that is missing or does not match
     */
    public void verifyFiles(org.apache.hadoop.conf.Configuration conf) throws IOException {
        Map<String, String> files = new java.util.LinkedHashMap<>();
        for (Model m : models) {
            if (m.backbone() != null) {
                files.put(m.backbone().path(), m.backbone().sha256());
            }
            files.put(m.path(), m.sha256());
        }
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path p = new Path(f.getKey());
            FileSystem fs = HadoopFiles.fileSystem(p, conf);
            if (!fs.exists(p)) {
                throw new IllegalArgumentException("model file " + p + " of ensemble " + name + " is listed in the run's "
                        + "manifest (eval/models.json) but missing");
            }
            String actual = HadoopFiles.sha256(fs, p);
            if (!actual.equals(f.getValue())) {
                throw new IllegalArgumentException("model file " + p + " of ensemble " + name + " does not match the "
                        + "run's manifest (eval/models.json): its SHA-256 is " + actual + ", the manifest records "
                        + f.getValue());
            }
        }
    }

    private static String resolve(Path runDir, JsonNode model) {
        return new Path(runDir, model.path("path").asText()).toString();
    }

    private static MemberManifest manifest(FileSystem fs, Path runDir, int member) {
        Path dir = RunLayout.memberDir(runDir, member);
        try {
            return new SnapshotStore(fs, dir).readManifest().orElseThrow(
                    () -> new IllegalArgumentException(dir + " has no member.json"));
        } catch (IOException e) {
            throw new IllegalArgumentException(new Path(dir, "member.json") + " is not readable: " + e.getMessage(), e);
        }
    }

    private static JsonNode json(FileSystem fs, Path p, Path runDir) throws IOException {
        if (!fs.exists(p)) {
            throw new IllegalArgumentException(runDir + " has no evaluation (" + p.getName() + " missing); run "
                    + "chorus evaluate first");
        }
        return Json.MAPPER.readTree(new String(HadoopFiles.readAll(fs, p), StandardCharsets.UTF_8));
    }
}
