package io.chorus.worker.train;

/**
 * How a member trained data-parallel ({@code train.replicas} above 1), as its manifest records it: the
 * replicas, the parameter-averaging settings of the training master, and what an iteration means then.
 *
 * @param replicas         Spark tasks that train copies of the member side by side
 * @param averagingEvery   minibatches each replica trains between two averagings
 * @param roundsPerEpoch   averaging rounds per epoch; the member's iteration count advances by
 *                         {@code averagingEvery} per round, so an epoch is {@code roundsPerEpoch * averagingEvery}
 *                         iterations of each replica
 * @param trainingMaster   the dl4j-spark training master
 * @param approach         how the minibatches reach the replicas (dl4j-spark's RDDTrainingApproach)
 * @param updaterAveraged  whether the optimizer state is averaged with the parameters (saveUpdater)
 */
public record Replication(int replicas, int averagingEvery, int roundsPerEpoch, String trainingMaster, String approach,
                          boolean updaterAveraged) {
}
