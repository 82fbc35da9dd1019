package io.chorus.worker.train;

import io.chorus.worker.train.schedule.ScheduleKind;

/**
 * How one member is optimized and when it writes snapshots.
 *
 * @param epochs        passes over the training examples
 * @param batch         minibatch size
 * @param optimizer     SGD with Nesterov momentum, or Adam
 * @param lr            initial learning rate
 * @param momentum      Nesterov momentum (SGD only)
 * @param weightDecay   L2 penalty coefficient on weights
 * @param schedule      learning-rate schedule
 * @param cycles        learning-rate cycles of the cyclic cosine schedule (snapshot ensembles)
 * @param stepEpochs    epochs between decays of the step schedule
 * @param stepGamma     decay factor of the step schedule
 * @param snapshotEvery a snapshot every this many epochs (0 = none besides cycle ends, SWA points and the final one)
 * @param swaStart      fraction of training after which SWA collection points begin
 * @param swaEvery      epochs between SWA collection points (0 = no SWA collection)
 * @param threads       ND4J/OpenMP threads used by this member
 * @param engine        what runs the updates: the oneDNN engine, DL4J, or auto (the engine on the CPU)
 * @param replicas      data-parallel replicas of this member (1: it trains in one task, here; more: the driver
 *                      trains it over that many Spark tasks with parameter averaging, never in this class)
 * @param averagingEvery minibatches each replica trains between two averagings (replicas above 1 only)
 */
public record TrainSpec(int epochs, int batch, OptimizerKind optimizer, double lr, double momentum,
                        double weightDecay, ScheduleKind schedule, int cycles, int stepEpochs, double stepGamma,
                        int snapshotEvery, double swaStart, int swaEvery, int threads, EngineChoice engine,
                        int replicas, int averagingEvery)
        implements java.io.Serializable {

    public TrainSpec {
        java.util.Objects.requireNonNull(engine, "engine");
        if (replicas < 1 || averagingEvery < 1) {
            throw new IllegalArgumentException("replicas and averagingEvery must be positive, got " + replicas + " and "
                    + averagingEvery);
        }
    }

    /** One replica. */
    public TrainSpec(int epochs, int batch, OptimizerKind optimizer, double lr, double momentum, double weightDecay,
                     ScheduleKind schedule, int cycles, int stepEpochs, double stepGamma, int snapshotEvery,
                     double swaStart, int swaEvery, int threads, EngineChoice engine) {
        this(epochs, batch, optimizer, lr, momentum, weightDecay, schedule, cycles, stepEpochs, stepGamma, snapshotEvery,
                swaStart, swaEvery, threads, engine, 1, 1);
    }

    /** With {@code engine} auto. */
    public TrainSpec(int epochs, int batch, OptimizerKind optimizer, double lr, double momentum, double weightDecay,
                     ScheduleKind schedule, int cycles, int stepEpochs, double stepGamma, int snapshotEvery,
                     double swaStart, int swaEvery, int threads) {
        this(epochs, batch, optimizer, lr, momentum, weightDecay, schedule, cycles, stepEpochs, stepGamma, snapshotEvery,
                swaStart, swaEvery, threads, EngineChoice.AUTO);
    }

    /** This specification with another engine choice. */
    public TrainSpec withEngine(EngineChoice e) {
        return new TrainSpec(epochs, batch, optimizer, lr, momentum, weightDecay, schedule, cycles, stepEpochs, stepGamma,
                snapshotEvery, swaStart, swaEvery, threads, e, replicas, averagingEvery);
    }
}
