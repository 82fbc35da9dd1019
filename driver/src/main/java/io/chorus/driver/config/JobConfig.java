package io.chorus.driver.config;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import io.chorus.worker.data.Augmentation;
import io.chorus.worker.train.DataSpec;
import io.chorus.worker.train.MemberSpec;
import io.chorus.worker.Seeds;
import io.chorus.worker.train.TrainSpec;
import io.chorus.worker.train.schedule.ScheduleKind;
import io.chorus.worker.zoo.ModelSpec;

/**
 * A validated job configuration: one YAML file plus {@code --set key=value} overrides.
 *
 * <p>All validation happens here, in one place and before any work starts: unknown keys (with the
 * nearest known key suggested), malformed or out-of-range values, and combinations that cannot mean what
 * the user wanted. Every problem names its key and value, and all of them are reported at once.
 *
 * <p>{@link #toYaml()} writes the resolved configuration, defaults included, in {@link Keys} order; reading
 * that text back gives an equal configuration and the same text.
 */
public final class JobConfig {
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build());

    private final Map<ConfigKey<?>, Object> values;

    private JobConfig(Map<ConfigKey<?>, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** Parses YAML text, applies {@code overrides} ("key=value"), validates everything. */
    public static JobConfig parse(String yaml, String source, List<String> overrides) throws ConfigException {
        List<String> problems = new ArrayList<>();
        Map<String, Object> flat = new LinkedHashMap<>();
        if (!yaml.isBlank()) {
            try (JsonParser p = YAML.getFactory().createParser(yaml)) {
                JsonToken first = p.nextToken();
                if (first == JsonToken.START_OBJECT) {
                    new Flattener(flat, problems).mapping(p, "");
                } else if (first != null && first != JsonToken.VALUE_NULL) {
                    throw new ConfigException(source + ": the top level must be a mapping of keys, got "
                            + ConfigKey.describe(Flattener.value(p)));
                }
                JsonToken next = p.nextToken();
                if (next != null && next != JsonToken.VALUE_NULL) {
                    problems.add(source + ": a second YAML document begins on line " + line(p)
                            + "; a job file is one document");
                }
            } catch (JsonProcessingException e) {
                throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage()
                        + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
            } catch (IOException e) {
                throw new IllegalStateException("reading a string does not fail", e);
            }
        }
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                problems.add("--set " + o + ": expected key=value");
                continue;
            }
            flat.put(o.substring(0, eq).trim(), o.substring(eq + 1));
        }
        return resolve(flat, problems);
    }

    public static JobConfig parse(InputStream in, String source, List<String> overrides) throws ConfigException, IOException {
        return parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), source, overrides);
    }

    private static int line(JsonParser p) {
        return p.currentTokenLocation().getLineNr();
    }

    /**
     * Reads the YAML mapping as dotted key -> raw value, the way ObjectMapper would read the values (numbers,
     * booleans, strings, null, lists, mappings), keeping the line of every key: a key given twice, in the same
     * mapping or once nested and once dotted ({@code data: {dir: x}} and {@code data.dir: y}), is a problem
     * naming both lines rather than the last one silently winning.
     */
    private static final class Flattener {
        private final Map<String, Object> flat;
        private final List<String> problems;
        private final Map<String, Integer> lines = new LinkedHashMap<>();

        Flattener(Map<String, Object> flat, List<String> problems) {
            this.flat = flat;
            this.problems = problems;
        }

        /**
         * Reads a mapping whose START_OBJECT is the current token, its keys prefixed with {@code prefix}. A
         * section may be given more than once in different forms ({@code data.augment: {shift: 1}} beside
         * {@code data: {augment: {flip: true}}}: no value is lost), but no key twice in one mapping, and no
         * key that holds a value twice in any forms.
         */
        void mapping(JsonParser p, String prefix) throws IOException {
            Map<String, Integer> here = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = prefix + p.currentName();
                int line = line(p);
                JsonToken t = p.nextToken();
                boolean known = Keys.byName(name) != null;
                boolean nested = t == JsonToken.START_OBJECT && !known;
                // "model:" with every key commented out: an empty section, no key at all
                boolean emptySection = !known && !Keys.inSection(name).isEmpty() && (t == JsonToken.VALUE_NULL
                        || t == JsonToken.VALUE_STRING && p.getText().isEmpty());
                Integer before = here.putIfAbsent(name, line);
                if (before == null && !nested && !emptySection) {
                    before = lines.putIfAbsent(name, line);
                }
                if (before != null) {
                    problems.add(name + ": given twice, on line " + before + " and on line " + line
                            + " (nested or dotted, it is the same key); keep one");
                    p.skipChildren();
                } else if (nested) {
                    mapping(p, name + ".");
                } else if (!emptySection) {
                    flat.put(name, value(p));
                }
            }
        }

        /** The value at the current token, as ObjectMapper reads untyped YAML. */
        static Object value(JsonParser p) throws IOException {
            switch (p.currentToken()) {
                case START_OBJECT -> {
                    Map<String, Object> map = new LinkedHashMap<>();
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        p.nextToken();
                        map.put(key, value(p));
                    }
                    return map;
                }
                case START_ARRAY -> {
                    List<Object> list = new ArrayList<>();
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        list.add(value(p));
                    }
                    return list;
                }
                case VALUE_NUMBER_INT -> {
                    return p.getNumberValue();
                }
                case VALUE_NUMBER_FLOAT -> {
                    return p.getDoubleValue();
                }
                case VALUE_TRUE -> {
                    return Boolean.TRUE;
                }
                case VALUE_FALSE -> {
                    return Boolean.FALSE;
                }
                case VALUE_NULL -> {
                    return null;
                }
                case VALUE_EMBEDDED_OBJECT -> {
                    return p.getEmbeddedObject();
                }
                default -> {
                    return p.getText();
                }
            }
        }
    }

    private static JobConfig resolve(Map<String, Object> flat, List<String> problems) throws ConfigException {
        for (Map.Entry<String, Object> e : flat.entrySet()) {
            String name = e.getKey();
            if (Keys.byName(name) != null) {
                continue;
            }
            List<String> section = Keys.inSection(name);
            if (!section.isEmpty()) {
                problems.add(name + ": is a section whose keys are " + String.join(", ", section)
                        + "; expected a mapping, got " + ConfigKey.describe(e.getValue()));
            } else {
                String near = Keys.closest(name);
                problems.add(name + ": unknown key" + (near != null ? " (did you mean " + near + "?)" : ""));
            }
        }
        Map<ConfigKey<?>, Object> values = new LinkedHashMap<>();
        for (ConfigKey<?> k : Keys.all()) {
            if (!flat.containsKey(k.name()) || flat.get(k.name()) == null) {
                if (k.required()) {
                    problems.add(k.name() + ": required (" + k.doc() + ")");
                } else {
                    values.put(k, k.defaultValue());
                }
                continue;
            }
            try {
                values.put(k, k.parse(flat.get(k.name())));
            } catch (IllegalArgumentException e) {
                problems.add(k.name() + ": " + e.getMessage());
            }
        }
        if (problems.isEmpty()) {
            crossCheck(values, problems);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new JobConfig(values);
    }

    /** Combinations of individually valid values that cannot mean what the user wanted. */
    private static void crossCheck(Map<ConfigKey<?>, Object> v, List<String> problems) {
        ScheduleKind schedule = (ScheduleKind) v.get(Keys.TRAIN_SCHEDULE);
        int cycles = (Integer) v.get(Keys.TRAIN_CYCLES);
        if (cycles > 1 && schedule != ScheduleKind.CYCLIC) {
            problems.add(Keys.TRAIN_CYCLES.name() + ": " + cycles + " cycles need train.schedule = cyclic, got "
                    + schedule.configName());
        }
        int members = (Integer) v.get(Keys.MEMBERS);
        if ((Integer) v.get(Keys.MIN_MEMBERS) > members) {
            problems.add(Keys.MIN_MEMBERS.name() + ": " + v.get(Keys.MIN_MEMBERS) + " is more than the " + members
                    + " members of the job");
        }
        int backbone = (Integer) v.get(Keys.HEADS_BACKBONE);
        if ((Integer) v.get(Keys.HEADS_COUNT) > 0 && backbone >= members) {
            problems.add(Keys.HEADS_BACKBONE.name() + ": member " + backbone + " does not exist; members are 0.."
                    + (members - 1));
        }
        if ((Integer) v.get(Keys.MC_DROPOUT_PASSES) > 0 && (Double) v.get(Keys.MODEL_DROPOUT) == 0) {
            problems.add(Keys.MC_DROPOUT_PASSES.name() + ": " + v.get(Keys.MC_DROPOUT_PASSES)
                    + " passes need model.dropout > 0; with no dropout every pass is the same");
        }
        String weights = ((String) v.get(Keys.ENSEMBLE_WEIGHTS)).trim();
        if (!weights.equals("fit")) {
            String problem = WeightsSetting.problem(weights, members);
            if (problem != null) {
                problems.add(Keys.ENSEMBLE_WEIGHTS.name() + ": " + problem);
            }
        }
        int limit = (Integer) v.get(Keys.DATA_LIMIT);
        int validation = (Integer) v.get(Keys.DATA_VALIDATION);
        if (limit > 0 && validation >= limit) {
            problems.add(Keys.DATA_VALIDATION.name() + ": " + validation + " validation examples leave none of the "
                    + limit + " examples of data.limit to train on");
        }
    }

    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        return (T) values.get(key);
    }

    /** The resolved configuration, defaults included, as nested YAML in {@link Keys} order. */
    public String toYaml() {
        try {
            return YAML.writeValueAsString(toTree());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a resolved configuration always serializes", e);
        }
    }

    /** The resolved configuration as nested maps (for embedding in JSON manifests). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Map<String, Object> toTree() {
        Map<String, Object> root = new LinkedHashMap<>();
        for (Map.Entry<ConfigKey<?>, Object> e : values.entrySet()) {
            String[] parts = e.getKey().name().split("\\.");
            Map<String, Object> node = root;
            for (int i = 0; i < parts.length - 1; i++) {
                node = (Map<String, Object>) node.computeIfAbsent(parts[i], p -> new LinkedHashMap<>());
            }
            node.put(parts[parts.length - 1], ((ConfigKey) e.getKey()).print(e.getValue()));
        }
        return root;
    }

    // ---- what the worker needs --------------------------------------------------------------------

    public int members() {
        return get(Keys.MEMBERS);
    }

    public long seed() {
        return get(Keys.SEED);
    }

    public ModelSpec modelSpec() {
        return new ModelSpec(get(Keys.MODEL_ARCH), get(Keys.MODEL_INIT), get(Keys.MODEL_INIT_SIGMA),
                get(Keys.MODEL_ACTIVATION), get(Keys.MODEL_BATCHNORM), get(Keys.MODEL_DROPOUT), get(Keys.MODEL_DEPTH),
                get(Keys.MODEL_WIDTH), get(Keys.MODEL_BLOCK));
    }

    public DataSpec dataSpec() {
        return new DataSpec(get(Keys.DATA_DIR), get(Keys.DATA_CLASSES), get(Keys.DATA_LIMIT), get(Keys.DATA_VALIDATION),
                new Augmentation(get(Keys.DATA_SHIFT), get(Keys.DATA_FLIP), get(Keys.DATA_CROP_PADDING),
                        ErasingSetting.of(get(Keys.DATA_ERASE), get(Keys.DATA_ERASE_AREA), get(Keys.DATA_ERASE_ASPECT),
                                get(Keys.DATA_ERASE_FILL))), get(Keys.DATA_BOOTSTRAP));
    }

    public TrainSpec trainSpec() {
        return new TrainSpec(get(Keys.TRAIN_EPOCHS), get(Keys.TRAIN_BATCH), get(Keys.TRAIN_OPTIMIZER), get(Keys.TRAIN_LR),
                get(Keys.TRAIN_MOMENTUM), get(Keys.TRAIN_WEIGHT_DECAY), get(Keys.TRAIN_SCHEDULE), get(Keys.TRAIN_CYCLES),
                get(Keys.TRAIN_STEP_EPOCHS), get(Keys.TRAIN_STEP_GAMMA), get(Keys.SNAPSHOTS_EVERY), get(Keys.SWA_START),
                get(Keys.SWA_EVERY), get(Keys.TRAIN_THREADS), get(Keys.TRAIN_ENGINE));
    }

    /** Every member's specification, seeds drawn from the job seed up front. */
    public List<MemberSpec> memberSpecs() {
        long[] seeds = Seeds.memberSeeds(seed(), members());
        List<MemberSpec> specs = new ArrayList<>();
        for (int i = 0; i < seeds.length; i++) {
            specs.add(new MemberSpec(i, seeds[i], modelSpec(), dataSpec(), trainSpec()));
        }
        return specs;
    }

    /**
     * Every key whose value differs between this configuration and {@code other}, except those
     * {@link Keys#mayChangeOnResume}: one line each, "key: this value -> other value", in key order.
     */
    public List<String> resumeConflicts(JobConfig other) {
        List<String> out = new ArrayList<>();
        for (ConfigKey<?> k : Keys.all()) {
            Object a = values.get(k);
            Object b = other.values.get(k);
            if (!java.util.Objects.equals(a, b) && !Keys.mayChangeOnResume(k.name())) {
                out.add(k.name() + ": " + printed(k, a) + " -> " + printed(k, b));
            }
        }
        return out;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object printed(ConfigKey k, Object v) {
        return v == null ? "(unset)" : k.print(v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JobConfig other && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }
}
