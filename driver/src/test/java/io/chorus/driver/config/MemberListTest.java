package io.chorus.driver.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.chorus.worker.Seeds;
import io.chorus.worker.train.MemberSpec;
import io.chorus.worker.train.schedule.ScheduleKind;
import io.chorus.worker.zoo.Architecture;

/** {@code members} as a list of per-member keys, and the reference model of compare.single_budget. */
class MemberListTest {
    private static final String BASE = "data:\n  dir: /d\nseed: 7\nmodel:\n  arch: lenet\ntrain:\n  lr: 0.05\n  epochs: 4\n";

    private static JobConfig parse(String yaml, String... sets) throws ConfigException {
        return JobConfig.parse(yaml, "job.yaml", List.of(sets));
    }

    @Test
    void eachMemberTrainsWithItsOwnKeysOverTheJobs() throws ConfigException {
        JobConfig c = parse(BASE + "members:\n  - {}\n  - model: {arch: resnet, width: 8}\n    train.lr: 0.1\n"
                + "  - {seed: 99, data: {augment: {flip: true}}}\n");
        assertEquals(3, c.members());
        List<MemberSpec> specs = c.memberSpecs();
        assertEquals(3, specs.size());
        long[] drawn = Seeds.memberSeeds(7, 3);
        assertEquals(Architecture.LENET, specs.get(0).model().arch());
        assertEquals(0.05, specs.get(0).train().lr());
        assertEquals(drawn[0], specs.get(0).seed());
        assertEquals(Architecture.RESNET, specs.get(1).model().arch());
        assertEquals(8, specs.get(1).model().width());
        assertEquals(0.1, specs.get(1).train().lr());
        assertEquals(drawn[1], specs.get(1).seed(), "a member without a seed of its own keeps the one drawn for it");
        assertEquals(99, specs.get(2).seed());
        assertTrue(specs.get(2).data().augmentation().flip());
        assertEquals(false, specs.get(0).data().augmentation().flip());
    }

    @Test
    void theResolvedListRoundTripsThroughItsYaml() throws ConfigException {
        JobConfig c = parse(BASE + "members:\n  - {}\n  - model.dropout: 0.5\n    train: {schedule: cyclic, cycles: 2}\n");
        JobConfig back = parse(c.toYaml());
        assertEquals(c, back);
        assertEquals(c.toYaml(), back.toYaml());
        assertEquals(c.memberSpecs(), back.memberSpecs());
        assertNotEquals(c, parse(BASE + "members: 2\n"), "a list with overrides is not the bare count");
        assertEquals(List.of(), parse(BASE + "members: 2\n").resumeConflicts(parse(BASE + "members:\n  - {}\n  - {}\n")),
                "a list of empty mappings trains what the count trains");
        assertEquals(1, c.resumeConflicts(parse(BASE + "members: 2\n")).size());
    }

    @Test
    void perMemberKeysAreValidatedNamingTheMemberTheKeyAndTheValue() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(BASE + "members:\n"
                + "  - train.lr: -1\n  - data.dir: /elsewhere\n  - model.archh: vgg\n  - train.threads: 4\n  - 3\n"));
        List<String> p = e.problems();
        assertEquals(5, p.size(), e.getMessage());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("members[0].train.lr: ") && x.contains("-1")), e.getMessage());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("members[1].data.dir: not a per-member key")), e.getMessage());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("members[2].model.archh: unknown key (did you mean model.arch?)")),
                e.getMessage());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("members[3].train.threads: not a per-member key")), e.getMessage());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("members[4]: expected a mapping")), e.getMessage());
        ConfigException cycles = assertThrows(ConfigException.class, () -> parse(BASE + "members:\n  - {}\n"
                + "  - train: {cycles: 3}\n"));
        assertEquals(List.of("members[1].train.cycles: 3 cycles need train.schedule = cyclic, got cosine"),
                cycles.problems());
        ConfigException empty = assertThrows(ConfigException.class, () -> parse(BASE + "members: []\n"));
        assertTrue(empty.problems().get(0).startsWith("members: an empty list"), empty.getMessage());
    }

    @Test
    void theReferenceModelTrainsTheBaseConfigurationForTheMembersEpochsTogether() throws ConfigException {
        JobConfig c = parse(BASE + "members:\n  - {}\n  - train.epochs: 6\n  - {}\ncompare:\n  single_budget: true\n");
        assertEquals(3, c.members());
        assertEquals(4, c.trainedModels());
        assertEquals(3, c.reference().getAsInt());
        MemberSpec ref = c.memberSpecs().get(3);
        assertEquals(3, ref.id());
        assertEquals(4 + 6 + 4, ref.train().epochs(), "the budget is the members' epochs summed");
        assertEquals(ScheduleKind.COSINE, ref.train().schedule());
        assertEquals(Seeds.memberSeeds(7, 4)[3], ref.seed(), "drawn with the members' seeds, after them");
        assertEquals(c.memberSpecs().get(0).seed(), parse(BASE + "members: 3\n").memberSpecs().get(0).seed(),
                "the members' seeds do not move when a reference is added");

        JobConfig cyclic = parse("data:\n  dir: /d\nmembers: 2\ntrain:\n  epochs: 4\n  schedule: cyclic\n  cycles: 2\n"
                + "compare: {single_budget: true, single_schedule: cyclic}\n");
        MemberSpec r = cyclic.memberSpecs().get(2);
        assertEquals(8, r.train().epochs());
        assertEquals(4, r.train().cycles(), "a cyclic reference keeps the members' cycle length");
        assertTrue(parse(BASE).reference().isEmpty());
    }

    @Test
    void memberTreeHoldsEveryPerMemberKeyWithTheValueTrainedWith() throws ConfigException {
        JobConfig c = parse(BASE + "members:\n  - {}\n  - {model: {width: 32}}\ncompare: {single_budget: true}\n");
        Map<String, Object> t1 = c.memberTree(1);
        assertEquals(32, ((Map<?, ?>) t1.get("model")).get("width"));
        assertEquals(c.memberSpecs().get(1).seed(), t1.get("seed"));
        assertTrue(!t1.containsKey("data") || !((Map<?, ?>) t1.get("data")).containsKey("dir"), "data.dir is the job's");
        assertEquals(8, ((Map<?, ?>) c.memberTree(2).get("train")).get("epochs"));
    }
}
