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
 * @param name     the combiner asked for
 * @param vote     combine by majority vote (else by the weighted mean of probabilities)
 * @param models   the models, in the ensemble's order, each once
 * @param weights  one per model, summing to 1 (repeated picks of a selection add up)
 * @param classes  number of classes
 * @param shape    the input shape the members were trained on
 */
public record EnsembleSpec(String name, boolean vote, List<Model> models, double[] weights, int classes,
                           ImageShape shape) implements Serializable {

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
        boolean vote = false;
        if (combiner.equals("swa")) {
            byId.values().stream().filter(m -> m.path("kind").asText().equals("swa"))
                    .map(m -> m.path("id").asText()).sorted().forEach(id -> {
                        ids.add(id);
                        picks.add(1.0);
                    });
        } else {
            String ensembleName = combiner.equals("snapshot") ? "snapshot-" + metrics.path("best_member").asText()
                    : combiner;
            JsonNode e = null;
            for (JsonNode x : metrics.path("ensembles")) {
                if (x.path("name").asText().equals(ensembleName)) {
                    e = x;
                }
            }
            if (e == null && byId.containsKey(combiner) && !byId.get(combiner).path("kind").asText().equals("head")) {
                ids.add(combiner); // a single model
                picks.add(1.0);
            } else if (e == null) {
                List<String> names = new ArrayList<>();
                metrics.path("ensembles").forEach(x -> names.add(x.path("name").asText()));
                throw new IllegalArgumentException("ensemble " + combiner + ": " + runDir + " has no ensemble named "
                        + ensembleName + "; it has " + names + (byId.values().stream().anyMatch(
                                m -> m.path("kind").asText().equals("swa")) ? " and swa" : ""));
            }
            if (e != null) {
                vote = ensembleName.equals("vote");
                JsonNode w = e.path("weights");
                for (int i = 0; i < e.path("members").size(); i++) {
                    ids.add(e.path("members").get(i).asText());
                    picks.add(w.isArray() && w.size() == e.path("members").size() ? w.get(i).asDouble() : 1.0);
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
        return new EnsembleSpec(combiner, vote, List.copyOf(resolved), weights, classes, shape);
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
