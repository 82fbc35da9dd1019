package io.chorus.driver.eval;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.chorus.worker.train.EpochMetrics;

/**
 * What a model or an ensemble cost to train, in the two units an equal-budget comparison needs: member-epochs
 * (passes of one network over the training examples) and core-seconds (train.threads cores times the seconds
 * the training epochs took, the per-epoch validation excluded).
 *
 * <p>An ensemble costs what its trajectories cost: each member it draws on counts once, up to the latest of its
 * snapshots the ensemble uses, so a snapshot ensemble of one run costs that one run, and the heads on a backbone
 * cost the backbone's run plus the heads' own training.
 */
public record TrainingCost(double memberEpochs, double coreSeconds) {
    public static final TrainingCost NONE = new TrainingCost(0, 0);

    /**
     * The cost of a trajectory up to the end of epoch {@code upTo} (1-based: epochs completed), from its
     * epochs' records; a snapshot at epoch 0 (the initialization) costs nothing.
     */
    public static TrainingCost of(List<EpochMetrics> epochs, int upTo, int threads) {
        double seconds = 0;
        for (EpochMetrics e : epochs) {
            if (e.epoch() <= upTo) {
                seconds += e.seconds();
            }
        }
        return new TrainingCost(upTo, seconds * threads);
    }

    /** The cost recorded in a library entry; null if the entry records none. */
    public static TrainingCost of(EvalManifest.Entry e) {
        return e.memberEpochs == null || e.coreSeconds == null ? null : new TrainingCost(e.memberEpochs, e.coreSeconds);
    }

    /**
     * The cost of an ensemble of {@code ids}: per member trajectory the costliest part any of its models draws on
     * (a snapshot up to its epoch, a trajectory average or an MC-dropout model the whole run, heads their
     * backbone's run), summed over trajectories, plus each derived model's own build (a head's training, a
     * batch-norm pass). Null if any model records no cost.
     */
    public static TrainingCost ofEnsemble(Collection<String> ids, Map<String, EvalManifest.Entry> byId) {
        Map<Integer, TrainingCost> perTrajectory = new LinkedHashMap<>();
        TrainingCost own = NONE;
        for (String id : ids) {
            EvalManifest.Entry e = byId.get(id);
            TrainingCost c = of(e);
            if (c == null) {
                return null;
            }
            TrainingCost build = new TrainingCost(0, e.buildSeconds == null ? 0 : e.buildSeconds);
            if (e.member < 0) {
                own = own.plus(c);
            } else {
                own = own.plus(build);
                perTrajectory.merge(e.member, c.minus(build), (a, b) -> a.memberEpochs >= b.memberEpochs ? a : b);
            }
        }
        return perTrajectory.values().stream().reduce(own, TrainingCost::plus);
    }

    private TrainingCost minus(TrainingCost o) {
        return new TrainingCost(memberEpochs - o.memberEpochs, coreSeconds - o.coreSeconds);
    }

    public TrainingCost plus(TrainingCost o) {
        return new TrainingCost(memberEpochs + o.memberEpochs, coreSeconds + o.coreSeconds);
    }

    /** This cost plus {@code seconds} of building on {@code threads} cores (SWA's batch-norm pass, the heads). */
    public TrainingCost plusBuild(Double seconds, int threads) {
        return seconds == null ? this : new TrainingCost(memberEpochs, coreSeconds + seconds * threads);
    }

    /** Writes this cost into a library entry. */
    public void into(EvalManifest.Entry e) {
        e.memberEpochs = memberEpochs;
        e.coreSeconds = coreSeconds;
    }

    /** As metrics.json writes it. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("member_epochs", memberEpochs);
        m.put("core_seconds", coreSeconds);
        return m;
    }
}
