package io.chorus.driver.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.chorus.worker.train.MemberSpec;
import io.chorus.worker.train.EngineChoice;
import io.chorus.worker.data.Augmentation;
import io.chorus.worker.data.Erasing;
import io.chorus.worker.train.OptimizerKind;
import io.chorus.worker.Seeds;
import io.chorus.worker.train.schedule.ScheduleKind;
import io.chorus.worker.zoo.Architecture;

class JobConfigTest {
    private static final String MINIMAL = "data:\n  dir: /data/fashion\n";

    private static JobConfig parse(String yaml, String... sets) throws ConfigException {
        return JobConfig.parse(yaml, "job.yaml", List.of(sets));
    }

    @Test
    void minimalConfigTakesEveryDefault() throws ConfigException {
        JobConfig c = parse(MINIMAL);
        assertEquals("/data/fashion", c.get(Keys.DATA_DIR));
        for (ConfigKey<?> k : Keys.all()) {
            if (!k.required()) {
                assertEquals(k.defaultValue(), c.get(k), k.name());
            }
        }
    }

    @Test
    void nestedAndDottedOverridesReachTheirKeys() throws ConfigException {
        JobConfig c = parse(MINIMAL + "train:\n  lr: 0.1\n  optimizer: Adam\nmodel:\n  arch: resnet\n",
                "train.lr=0.5", "data.augment.shift=2", "members=3");
        assertEquals(0.5, c.get(Keys.TRAIN_LR));
        assertEquals(OptimizerKind.ADAM, c.get(Keys.TRAIN_OPTIMIZER));
        assertEquals(Architecture.RESNET, c.get(Keys.MODEL_ARCH));
        assertEquals(2, c.get(Keys.DATA_SHIFT));
        assertEquals(3, c.members());
    }

    @Test
    void theEngineChoiceReachesEveryMembersTrainSpec() throws ConfigException {
        assertEquals(EngineChoice.AUTO, parse(MINIMAL).trainSpec().engine());
        JobConfig c = parse(MINIMAL + "train:\n  engine: DL4J\n");
        assertEquals(EngineChoice.DL4J, c.trainSpec().engine());
        c.memberSpecs().forEach(m -> assertEquals(EngineChoice.DL4J, m.train().engine()));
        assertEquals(EngineChoice.ONEDNN, parse(MINIMAL, "train.engine=onednn").trainSpec().engine());
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("members: 0\n", "members", "0"),
                Arguments.of("members: many\n", "members", "many"),
                Arguments.of("seed: 1.5\n", "seed", "1.5"),
                Arguments.of("data:\n  dir: ''\n", "data.dir", "''"),
                Arguments.of("data:\n  classes: 1\n", "data.classes", "1"),
                Arguments.of("data:\n  limit: -5\n", "data.limit", "-5"),
                Arguments.of("data:\n  validation: -1\n", "data.validation", "-1"),
                Arguments.of("data:\n  augment:\n    shift: 99\n", "data.augment.shift", "99"),
                Arguments.of("data:\n  augment:\n    flip: maybe\n", "data.augment.flip", "maybe"),
                Arguments.of("data:\n  augment:\n    crop_padding: -1\n", "data.augment.crop_padding", "-1"),
                Arguments.of("data:\n  augment:\n    erase: 1.5\n", "data.augment.erase", "1.5"),
                Arguments.of("data:\n  augment:\n    erase_area: '0.5,0.2'\n", "data.augment.erase_area", "0.5,0.2"),
                Arguments.of("data:\n  augment:\n    erase_aspect: '0,2'\n", "data.augment.erase_aspect", "0,2"),
                Arguments.of("data:\n  augment:\n    erase_fill: 256\n", "data.augment.erase_fill", "256"),
                Arguments.of("data:\n  bootstrap: 3\n", "data.bootstrap", "3"),
                Arguments.of("model:\n  arch: transformer\n", "model.arch", "transformer"),
                Arguments.of("model:\n  init: zeros\n", "model.init", "zeros"),
                Arguments.of("model:\n  init_sigma: 0\n", "model.init_sigma", "0"),
                Arguments.of("model:\n  activation: tanh\n", "model.activation", "tanh"),
                Arguments.of("model:\n  batchnorm: yes please\n", "model.batchnorm", "yes please"),
                Arguments.of("model:\n  dropout: 1.0\n", "model.dropout", "1.0"),
                Arguments.of("model:\n  depth: 0\n", "model.depth", "0"),
                Arguments.of("model:\n  width: 0\n", "model.width", "0"),
                Arguments.of("model:\n  block: dense\n", "model.block", "dense"),
                Arguments.of("train:\n  epochs: 0\n", "train.epochs", "0"),
                Arguments.of("train:\n  batch: 0\n", "train.batch", "0"),
                Arguments.of("train:\n  optimizer: lbfgs\n", "train.optimizer", "lbfgs"),
                Arguments.of("train:\n  lr: -0.1\n", "train.lr", "-0.1"),
                Arguments.of("train:\n  lr: NaN\n", "train.lr", "NaN"),
                Arguments.of("train:\n  momentum: 1\n", "train.momentum", "1"),
                Arguments.of("train:\n  weight_decay: -1e-4\n", "train.weight_decay", "-1.0E-4"),
                Arguments.of("train:\n  schedule: linear\n", "train.schedule", "linear"),
                Arguments.of("train:\n  cycles: 0\n", "train.cycles", "0"),
                Arguments.of("train:\n  step_epochs: 0\n", "train.step_epochs", "0"),
                Arguments.of("train:\n  step_gamma: 0\n", "train.step_gamma", "0"),
                Arguments.of("train:\n  threads: 0\n", "train.threads", "0"),
                Arguments.of("train:\n  engine: mkl\n", "train.engine", "mkl"),
                Arguments.of("train:\n  gpus_per_member: -1\n", "train.gpus_per_member", "-1"),
                Arguments.of("train:\n  replicas: 0\n", "train.replicas", "0"),
                Arguments.of("train:\n  averaging_every: 0\n", "train.averaging_every", "0"),
                Arguments.of("min_members: 0\n", "min_members", "0"),
                Arguments.of("snapshots:\n  every: -1\n", "snapshots.every", "-1"),
                Arguments.of("swa:\n  start: 1.5\n", "swa.start", "1.5"),
                Arguments.of("swa:\n  every: -2\n", "swa.every", "-2"),
                Arguments.of("compare:\n  single_budget: twice\n", "compare.single_budget", "twice"),
                Arguments.of("compare:\n  single_schedule: linear\n", "compare.single_schedule", "linear"),
                Arguments.of("evaluate:\n  enabled: sometimes\n", "evaluate.enabled", "sometimes"),
                Arguments.of("report:\n  enabled: maybe\n", "report.enabled", "maybe"),
                Arguments.of("evaluate:\n  batch: 0\n", "evaluate.batch", "0"),
                Arguments.of("evaluate:\n  test_limit: -1\n", "evaluate.test_limit", "-1"),
                Arguments.of("evaluate:\n  tasks: -3\n", "evaluate.tasks", "-3"),
                Arguments.of("evaluate:\n  shift: often\n", "evaluate.shift", "often"),
                Arguments.of("evaluate:\n  shift_limit: -1\n", "evaluate.shift_limit", "-1"),
                Arguments.of("evaluate:\n  shift_kinds: fog\n", "evaluate.shift_kinds", "fog"),
                Arguments.of("ensemble:\n  weights: '0.5,0.2'\n", "ensemble.weights", "0.5,0.2"),
                Arguments.of("ensemble:\n  snapshot_last: 0\n", "ensemble.snapshot_last", "0"),
                Arguments.of("ensemble:\n  selection_rounds: 0\n", "ensemble.selection_rounds", "0"),
                Arguments.of("ensemble:\n  cross_average: 2\n", "ensemble.cross_average", "2"),
                Arguments.of("heads:\n  count: -1\n", "heads.count", "-1"),
                Arguments.of("heads:\n  backbone: -1\n", "heads.backbone", "-1"),
                Arguments.of("heads:\n  epochs: 0\n", "heads.epochs", "0"),
                Arguments.of("heads:\n  layers: 17\n", "heads.layers", "17"),
                Arguments.of("heads:\n  hidden: 0\n", "heads.hidden", "0"),
                Arguments.of("heads:\n  bootstrap: twice\n", "heads.bootstrap", "twice"),
                Arguments.of("mc_dropout:\n  passes: -1\n", "mc_dropout.passes", "-1"));
    }

    @ParameterizedTest(name = "{1} = {2}")
    @MethodSource("invalid")
    void eachInvalidValueIsRejectedNamingItsKeyAndValue(String yaml, String key, String value) {
        String full = yaml.startsWith("data:") && !yaml.contains("dir:") ? yaml.replace("data:\n", "data:\n  dir: /d\n")
                : yaml.startsWith("data:") ? yaml : MINIMAL + yaml;
        ConfigException e = assertThrows(ConfigException.class, () -> parse(full));
        assertEquals(1, e.problems().size(), e.getMessage());
        String problem = e.problems().get(0);
        assertTrue(problem.startsWith(key + ": "), problem);
        assertTrue(problem.contains(value), problem);
    }

    @Test
    void replicasReachTheTrainSpecAndRefuseTheOneDnnEngine() throws ConfigException {
        var t = parse(MINIMAL, "train.replicas=3", "train.averaging_every=7").trainSpec();
        assertEquals(3, t.replicas());
        assertEquals(7, t.averagingEvery());
        assertEquals(1, parse(MINIMAL).trainSpec().replicas(), "one replica by default");
        ConfigException e = assertThrows(ConfigException.class, () -> parse(MINIMAL, "train.replicas=2", "train.engine=onednn"));
        assertTrue(e.problems().get(0).startsWith("train.replicas: 2 replicas train on DL4J's path"), e.getMessage());
        ConfigException own = assertThrows(ConfigException.class, () -> parse(MINIMAL + "train:\n  engine: onednn\n"
                + "members:\n  - {}\n  - train: {replicas: 2}\n"));
        assertTrue(own.problems().get(0).startsWith("members[1].train.replicas: 2"), own.getMessage());
    }

    @Test
    void cropAndErasingKeysReachTheAugmentation() throws ConfigException {
        Augmentation a = parse(MINIMAL, "data.augment.shift=1", "data.augment.crop_padding=3", "data.augment.erase=0.25",
                "data.augment.erase_area=0.1, 0.2", "data.augment.erase_aspect=0.5,2", "data.augment.erase_fill=noise")
                .dataSpec().augmentation();
        assertEquals(new Augmentation(1, false, 3, new Erasing(0.25, 0.1, 0.2, 0.5, 2, 0, true)), a);
        assertEquals(new Erasing(0.5, 0.02, 0.4, 0.3, 3.3, 128, false), parse(MINIMAL, "data.augment.erase=0.5",
                "data.augment.erase_fill=128").dataSpec().augmentation().erase());
        assertEquals(new Augmentation(0, false), parse(MINIMAL).dataSpec().augmentation(), "off by default");
    }

    @Test
    void everyKeyHasAnInvalidCaseAbove() {
        List<String> covered = invalid().map(a -> (String) a.get()[1]).toList();
        for (ConfigKey<?> k : Keys.all()) {
            assertTrue(covered.contains(k.name()), "no invalid-value case for " + k.name());
        }
    }

    @Test
    void missingDataDirIsNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("members: 2\n"));
        assertTrue(e.problems().get(0).startsWith("data.dir: required"), e.getMessage());
    }

    @Test
    void unknownKeysAreRejectedWithASuggestion() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(MINIMAL + "train:\n  lrate: 0.1\n"));
        assertEquals("train.lrate: unknown key (did you mean train.lr?)", e.problems().get(0));
        ConfigException set = assertThrows(ConfigException.class, () -> parse(MINIMAL, "model.archh=vgg"));
        assertTrue(set.getMessage().contains("model.archh: unknown key (did you mean model.arch?)"), set.getMessage());
    }

    @Test
    void allProblemsAreReportedAtOnce() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> parse("members: 0\ntrain:\n  lr: 0\n  epochz: 3\n"));
        assertEquals(4, e.problems().size(), e.getMessage());
    }

    @Test
    void contradictoryCombinationsAreRejected() throws ConfigException {
        ConfigException cycles = assertThrows(ConfigException.class, () -> parse(MINIMAL + "train:\n  cycles: 4\n"));
        assertTrue(cycles.getMessage().startsWith("train.cycles: 4 cycles need train.schedule = cyclic"), cycles.getMessage());
        ConfigException split = assertThrows(ConfigException.class,
                () -> parse("data:\n  dir: /d\n  limit: 100\n  validation: 100\n"));
        assertTrue(split.getMessage().startsWith("data.validation: 100"), split.getMessage());
        ConfigException backbone = assertThrows(ConfigException.class,
                () -> parse(MINIMAL + "members: 2\nheads:\n  count: 3\n  backbone: 2\n"));
        assertTrue(backbone.getMessage().startsWith("heads.backbone: member 2 does not exist"), backbone.getMessage());
        ConfigException min = assertThrows(ConfigException.class, () -> parse(MINIMAL + "members: 2\nmin_members: 3\n"));
        assertTrue(min.getMessage().startsWith("min_members: 3 is more than the 2 members"), min.getMessage());
        ConfigException mcd = assertThrows(ConfigException.class, () -> parse(MINIMAL + "mc_dropout:\n  passes: 10\n"));
        assertTrue(mcd.getMessage().startsWith("mc_dropout.passes: 10 passes need model.dropout > 0"), mcd.getMessage());
        ConfigException sum = assertThrows(ConfigException.class,
                () -> parse(MINIMAL + "members: 2\nensemble:\n  weights: 0.5, 0.6\n"));
        assertTrue(sum.getMessage().startsWith("ensemble.weights: weights must sum to 1, got 1.1"), sum.getMessage());
        ConfigException negative = assertThrows(ConfigException.class,
                () -> parse(MINIMAL + "members: 2\nensemble:\n  weights: 1.5, -0.5\n"));
        assertTrue(negative.getMessage().startsWith("ensemble.weights: weight 1 must be finite and non-negative, got -0.5"),
                negative.getMessage());
        assertEquals("0.25, 0.75", parse(MINIMAL + "members: 2\nensemble:\n  weights: 0.25, 0.75\n").get(Keys.ENSEMBLE_WEIGHTS));
    }

    @Test
    void aKeyGivenTwiceNestedOrDottedIsRefusedWithBothLines() {
        ConfigException same = assertThrows(ConfigException.class, () -> parse(MINIMAL + "members: 2\nmembers: 3\n"));
        assertEquals(List.of("members: given twice, on line 3 and on line 4 (nested or dotted, it is the same key); keep one"),
                same.problems());
        ConfigException mixed = assertThrows(ConfigException.class, () -> parse(MINIMAL + "data.dir: /elsewhere\n"));
        assertTrue(mixed.getMessage().startsWith("data.dir: given twice, on line 2 and on line 3"), mixed.getMessage());
        ConfigException deep = assertThrows(ConfigException.class,
                () -> parse("data.augment:\n  shift: 1\n" + MINIMAL + "  augment:\n    shift: 2\n"));
        assertEquals(List.of("data.augment.shift: given twice, on line 2 and on line 6 (nested or dotted, it is the same "
                + "key); keep one"), deep.problems());
        ConfigException section = assertThrows(ConfigException.class, () -> parse(MINIMAL + "members: 2\ndata:\n  limit: 5\n"));
        assertTrue(section.getMessage().startsWith("data: given twice, on line 1 and on line 4"), section.getMessage());
    }

    @Test
    void aSectionMayBeSpreadOverNestedAndDottedFormsWhenNoKeyRepeats() throws ConfigException {
        JobConfig c = parse("data.augment:\n  shift: 1\n" + MINIMAL + "  augment:\n    flip: true\n");
        assertEquals(1, c.get(Keys.DATA_SHIFT));
        assertEquals(true, c.get(Keys.DATA_FLIP));
    }

    @Test
    void aScalarWhereASectionBelongsNamesTheSectionsKeys() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(MINIMAL + "model: vgg\n"));
        assertTrue(e.problems().get(0).startsWith("model: is a section whose keys are model.arch, model.init,"), e.getMessage());
        assertTrue(e.problems().get(0).endsWith("; expected a mapping, got 'vgg'"), e.getMessage());
        ConfigException set = assertThrows(ConfigException.class, () -> parse(MINIMAL, "train=fast"));
        assertTrue(set.getMessage().startsWith("train: is a section whose keys are train.epochs"), set.getMessage());
    }

    @Test
    void emptySectionsDocumentMarkersAndCommentsAreNoKeys() throws ConfigException {
        assertEquals(parse(MINIMAL), parse("---\n# a job\n" + MINIMAL + "model:\ntrain:\n  # epochs: 3\n...\n"));
        ConfigException two = assertThrows(ConfigException.class, () -> parse(MINIMAL + "---\nmembers: 3\n"));
        assertEquals(List.of("job.yaml: a second YAML document begins on line 4; a job file is one document"), two.problems());
    }

    @Test
    void malformedYamlIsReportedWithItsSource() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("members: [1, 2\n"));
        assertTrue(e.getMessage().startsWith("job.yaml: not valid YAML"), e.getMessage());
        ConfigException list = assertThrows(ConfigException.class, () -> parse("- a\n- b\n"));
        assertTrue(list.getMessage().contains("top level must be a mapping"), list.getMessage());
    }

    @Test
    void roundTripYamlToObjectToYamlIsUnchanged() throws ConfigException {
        JobConfig c = parse(MINIMAL + "members: 7\nmodel:\n  arch: vgg\n  dropout: 0.3\ntrain:\n  schedule: cyclic\n  cycles: 3\n");
        String yaml = c.toYaml();
        JobConfig back = parse(yaml);
        assertEquals(c, back);
        assertEquals(yaml, back.toYaml());
        assertNotEquals(parse(MINIMAL).toYaml(), yaml);
    }

    @Test
    void shippedConfigurationsAreValidAndCanonicalTextRoundTrips() throws IOException, ConfigException {
        Path conf = Path.of("..", "conf");
        try (Stream<Path> files = Files.list(conf)) {
            List<Path> yamls = files.filter(p -> p.toString().endsWith(".yaml")).toList();
            assertTrue(yamls.size() >= 2, "conf/ ships the example jobs");
            for (Path p : yamls) {
                JobConfig c = parse(Files.readString(p));
                assertEquals(c, parse(c.toYaml()), p.toString());
            }
        }
    }

    @Test
    void memberSeedsAreDrawnFromTheJobSeedUpFront() throws ConfigException {
        JobConfig c = parse(MINIMAL + "members: 4\nseed: 99\n");
        List<MemberSpec> specs = c.memberSpecs();
        long[] seeds = Seeds.memberSeeds(99, 4);
        for (int i = 0; i < 4; i++) {
            assertEquals(i, specs.get(i).id());
            assertEquals(seeds[i], specs.get(i).seed());
        }
        assertEquals(4, java.util.Arrays.stream(seeds).distinct().count());
        assertEquals(seeds[1], Seeds.memberSeeds(99, 2)[1], "a member's seed does not depend on the ensemble size");
        assertEquals(ScheduleKind.COSINE, specs.get(0).train().schedule());
    }
}
