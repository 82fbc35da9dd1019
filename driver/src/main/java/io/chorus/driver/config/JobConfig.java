package io.chorus.driver.config;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import io.chorus.worker.data.Augmentation;
import io.chorus.worker.train.DataSpec;
import io.chorus.worker.train.EngineChoice;
import io.chorus.worker.train.OptimizerKind;
import io.chorus.worker.train.MemberSpec;
import io.chorus.worker.Seeds;
import io.chorus.worker.train.TrainSpec;
import io.chorus.worker.train.schedule.ScheduleKind;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.WeightInitKind;

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
    /** Per member, the keys it sets for itself ({@code members: [...]}); empty when {@code members} is a count. */
    private final List<Map<ConfigKey<?>, Object>> overrides;

    private JobConfig(Map<ConfigKey<?>, Object> values, List<Map<ConfigKey<?>, Object>> overrides) {
        this.values = Collections.unmodifiableMap(values);
        this.overrides = overrides.stream().map(o -> Collections.unmodifiableMap(new LinkedHashMap<>(o))).toList();
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
        List<Map<String, Object>> perMember = memberList(flat, problems);
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
        List<Map<ConfigKey<?>, Object>> overrides = new ArrayList<>();
        for (int i = 0; i < perMember.size(); i++) {
            overrides.add(memberOverrides(i, perMember.get(i), problems));
        }
        if (problems.isEmpty()) {
            crossCheck(values, problems);
            for (int i = 0; i < overrides.size(); i++) {
                if (!overrides.get(i).isEmpty()) {
                    scheduleCheck(merged(values, overrides.get(i)), "members[" + i + "].", problems);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        // a list of empty mappings trains exactly what the count does, and is that count
        return new JobConfig(values, overrides.stream().allMatch(Map::isEmpty) ? List.of() : overrides);
    }

    /**
     * {@code members} given as a list: replaces it in {@code flat} by the list's length and returns the list's
     * mappings, each flattened to dotted keys ({@code {}} or an empty entry for a member that sets nothing).
     * Empty when {@code members} is a count.
     */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> memberList(Map<String, Object> flat, List<String> problems) {
        if (!(flat.get(Keys.MEMBERS.name()) instanceof List<?> list)) {
            return List.of();
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object item = list.get(i);
            Map<String, Object> member = new LinkedHashMap<>();
            if (item instanceof Map<?, ?> map) {
                flatten((Map<String, Object>) map, "", member);
            } else if (item != null && !(item instanceof String str && str.isEmpty())) {
                problems.add("members[" + i + "]: expected a mapping of per-member keys (" + Keys.PER_MEMBER
                        + "), got " + ConfigKey.describe(item));
            }
            out.add(member);
        }
        if (list.isEmpty()) {
            problems.add(Keys.MEMBERS.name() + ": an empty list; give a count or one mapping per member");
        }
        flat.put(Keys.MEMBERS.name(), list.isEmpty() ? null : list.size());
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void flatten(Map<String, Object> map, String prefix, Map<String, Object> out) {
        for (Map.Entry<String, Object> e : map.entrySet()) {
            String name = prefix + e.getKey();
            if (e.getValue() instanceof Map<?, ?> nested && Keys.byName(name) == null) {
                flatten((Map<String, Object>) nested, name + ".", out);
            } else {
                out.put(name, e.getValue());
            }
        }
    }

    /** Member {@code i}'s own keys, each validated as the job's key of the same name is. */
    private static Map<ConfigKey<?>, Object> memberOverrides(int i, Map<String, Object> raw, List<String> problems) {
        Map<ConfigKey<?>, Object> out = new LinkedHashMap<>();
        String at = "members[" + i + "].";
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            ConfigKey<?> k = Keys.byName(e.getKey());
            if (k == null) {
                String near = Keys.closest(e.getKey());
                problems.add(at + e.getKey() + ": unknown key" + (near != null ? " (did you mean " + near + "?)" : ""));
            } else if (!Keys.perMember(k.name())) {
                problems.add(at + k.name() + ": not a per-member key; a member may set " + Keys.PER_MEMBER);
            } else if (e.getValue() == null) {
                problems.add(at + k.name() + ": no value; leave the key out to use the job's");
            } else {
                try {
                    out.put(k, k.parse(e.getValue()));
                } catch (IllegalArgumentException x) {
                    problems.add(at + k.name() + ": " + x.getMessage());
                }
            }
        }
        return out;
    }

    private static Map<ConfigKey<?>, Object> merged(Map<ConfigKey<?>, Object> values, Map<ConfigKey<?>, Object> own) {
        Map<ConfigKey<?>, Object> m = new LinkedHashMap<>(values);
        m.putAll(own);
        return m;
    }

    /** Combinations of individually valid values that cannot mean what the user wanted. */
    private static void crossCheck(Map<ConfigKey<?>, Object> v, List<String> problems) {
        scheduleCheck(v, "", problems);
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

    /** The checks that hold for every member's own configuration; {@code at} prefixes the key in messages. */
    private static void scheduleCheck(Map<ConfigKey<?>, Object> v, String at, List<String> problems) {
        ScheduleKind schedule = (ScheduleKind) v.get(Keys.TRAIN_SCHEDULE);
        int cycles = (Integer) v.get(Keys.TRAIN_CYCLES);
        if (cycles > 1 && schedule != ScheduleKind.CYCLIC) {
            problems.add(at + Keys.TRAIN_CYCLES.name() + ": " + cycles + " cycles need train.schedule = cyclic, got "
                    + schedule.configName());
        }
        int replicas = (Integer) v.get(Keys.TRAIN_REPLICAS);
        if (replicas > 1 && v.get(Keys.TRAIN_ENGINE) == EngineChoice.ONEDNN) {
            problems.add(at + Keys.TRAIN_REPLICAS.name() + ": " + replicas + " replicas train on DL4J's path (dl4j-spark's "
                    + "workers fit DL4J networks), but train.engine is onednn; set train.engine to auto or dl4j, or "
                    + "train.replicas to 1");
        }
        if (schedule == ScheduleKind.SWA && (Integer) v.get(Keys.SWA_EVERY) == 0) {
            problems.add(at + Keys.TRAIN_SCHEDULE.name() + ": swa holds the rate for the SWA points, but swa.every is 0 "
                    + "(no points); set swa.every to at least 1");
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
    public Map<String, Object> toTree() {
        Map<String, Object> root = tree(values);
        if (!overrides.isEmpty()) {
            root.put(Keys.MEMBERS.name(), overrides.stream().map(JobConfig::tree).toList());
        }
        return root;
    }

    /** Keys and values as nested maps, in the order given. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Map<String, Object> tree(Map<ConfigKey<?>, Object> values) {
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

    /** The base configuration's network; a member of a {@code members: [...]} list may have its own. */
    public ModelSpec modelSpec() {
        return modelSpec(values);
    }

    public DataSpec dataSpec() {
        return dataSpec(values);
    }

    public TrainSpec trainSpec() {
        return trainSpec(values);
    }

    private static ModelSpec modelSpec(Map<ConfigKey<?>, Object> v) {
        return new ModelSpec((Architecture) v.get(Keys.MODEL_ARCH), (WeightInitKind) v.get(Keys.MODEL_INIT),
                (Double) v.get(Keys.MODEL_INIT_SIGMA), (ActivationKind) v.get(Keys.MODEL_ACTIVATION),
                (Boolean) v.get(Keys.MODEL_BATCHNORM), (Double) v.get(Keys.MODEL_DROPOUT), (Integer) v.get(Keys.MODEL_DEPTH),
                (Integer) v.get(Keys.MODEL_WIDTH), (BlockKind) v.get(Keys.MODEL_BLOCK));
    }

    private static DataSpec dataSpec(Map<ConfigKey<?>, Object> v) {
        return new DataSpec((String) v.get(Keys.DATA_DIR), (Integer) v.get(Keys.DATA_CLASSES), (Integer) v.get(Keys.DATA_LIMIT),
                (Integer) v.get(Keys.DATA_VALIDATION), new Augmentation((Integer) v.get(Keys.DATA_SHIFT),
                (Boolean) v.get(Keys.DATA_FLIP), (Integer) v.get(Keys.DATA_CROP_PADDING),
                ErasingSetting.of((Double) v.get(Keys.DATA_ERASE), (String) v.get(Keys.DATA_ERASE_AREA),
                        (String) v.get(Keys.DATA_ERASE_ASPECT), (String) v.get(Keys.DATA_ERASE_FILL))),
                (Boolean) v.get(Keys.DATA_BOOTSTRAP));
    }

    private static TrainSpec trainSpec(Map<ConfigKey<?>, Object> v) {
        return new TrainSpec((Integer) v.get(Keys.TRAIN_EPOCHS), (Integer) v.get(Keys.TRAIN_BATCH),
                (OptimizerKind) v.get(Keys.TRAIN_OPTIMIZER), (Double) v.get(Keys.TRAIN_LR), (Double) v.get(Keys.TRAIN_MOMENTUM),
                (Double) v.get(Keys.TRAIN_WEIGHT_DECAY), (ScheduleKind) v.get(Keys.TRAIN_SCHEDULE),
                (Integer) v.get(Keys.TRAIN_CYCLES), (Integer) v.get(Keys.TRAIN_STEP_EPOCHS), (Double) v.get(Keys.TRAIN_STEP_GAMMA),
                (Integer) v.get(Keys.SNAPSHOTS_EVERY), (Double) v.get(Keys.SWA_START), (Integer) v.get(Keys.SWA_EVERY),
                (Integer) v.get(Keys.TRAIN_THREADS), (EngineChoice) v.get(Keys.TRAIN_ENGINE),
                (Integer) v.get(Keys.TRAIN_REPLICAS), (Integer) v.get(Keys.TRAIN_AVERAGING_EVERY));
    }

    /**
     * The id of the reference model that {@code compare.single_budget} trains beside the ensemble (the member
     * directory after the ensemble's last), or empty when the job trains none.
     */
    public OptionalInt reference() {
        return get(Keys.COMPARE_SINGLE_BUDGET) ? OptionalInt.of(members()) : OptionalInt.empty();
    }

    /** The members and the reference model, if any: every task the job trains. */
    public int trainedModels() {
        return members() + (reference().isPresent() ? 1 : 0);
    }

    /**
     * The resolved values that train member {@code id}: the job's, with the member's own keys over them; for the
     * reference model, the base configuration trained for the ensemble's budget ({@link #referenceValues}).
     */
    private Map<ConfigKey<?>, Object> memberValues(int id) {
        if (reference().isPresent() && id == reference().getAsInt()) {
            return referenceValues();
        }
        return id < overrides.size() ? merged(values, overrides.get(id)) : values;
    }

    /**
     * The reference model: the base configuration for as many epochs as the members train together, on
     * compare.single_schedule (a cyclic one keeps the members' cycle length: train.cycles per member's epochs).
     */
    private Map<ConfigKey<?>, Object> referenceValues() {
        Map<ConfigKey<?>, Object> v = new LinkedHashMap<>(values);
        long epochs = 0;
        for (int i = 0; i < members(); i++) {
            epochs += (Integer) memberValues(i).get(Keys.TRAIN_EPOCHS);
        }
        ScheduleKind schedule = get(Keys.COMPARE_SINGLE_SCHEDULE);
        v.put(Keys.TRAIN_EPOCHS, (int) Math.min(epochs, Integer.MAX_VALUE));
        v.put(Keys.TRAIN_SCHEDULE, schedule);
        v.put(Keys.TRAIN_CYCLES, schedule == ScheduleKind.CYCLIC ? get(Keys.TRAIN_CYCLES) * members() : 1);
        return v;
    }

    /**
     * Member {@code id}'s resolved configuration as run.json records it: every key a member may set, with the
     * values it trained with (its seed the one drawn for it or its own).
     */
    public Map<String, Object> memberTree(int id) {
        Map<ConfigKey<?>, Object> v = new LinkedHashMap<>();
        memberValues(id).forEach((k, x) -> {
            if (Keys.perMember(k.name())) {
                v.put(k, x);
            }
        });
        v.put(Keys.SEED, memberSpecs().get(id).seed());
        return tree(v);
    }

    /**
     * Every trained model's specification (the members, then the reference model if any), seeds drawn from the
     * job seed up front; a member with a seed of its own uses that one.
     */
    public List<MemberSpec> memberSpecs() {
        long[] seeds = Seeds.memberSeeds(seed(), trainedModels());
        List<MemberSpec> specs = new ArrayList<>();
        for (int i = 0; i < seeds.length; i++) {
            Object own = i < overrides.size() ? overrides.get(i).get(Keys.SEED) : null;
            Map<ConfigKey<?>, Object> v = memberValues(i);
            specs.add(new MemberSpec(i, own != null ? (Long) own : seeds[i], modelSpec(v), dataSpec(v), trainSpec(v)));
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
        if (!overrides.equals(other.overrides)) {
            out.add(Keys.MEMBERS.name() + ": per-member keys " + overrides.stream().map(JobConfig::tree).toList() + " -> "
                    + other.overrides.stream().map(JobConfig::tree).toList());
        }
        return out;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object printed(ConfigKey k, Object v) {
        return v == null ? "(unset)" : k.print(v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JobConfig other && values.equals(other.values) && overrides.equals(other.overrides);
    }

    @Override
    public int hashCode() {
        return values.hashCode() * 31 + overrides.hashCode();
    }
}
