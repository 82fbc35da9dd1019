package io.chorus.worker.train;

/**
 * A live view of one member's training, emitted every five seconds and at each epoch end.
 *
 * @param member          member id
 * @param epoch           1-based epoch in progress
 * @param epochs          epochs planned
 * @param iteration       updates done
 * @param iterations      updates planned
 * @param loss            objective of the latest minibatch
 * @param imagesPerSecond training throughput since the epoch (or the resume) began
 * @param etaSeconds      estimated seconds to the end of this member's training
 */
public record Progress(int member, int epoch, int epochs, long iteration, long iterations, double loss,
                       double imagesPerSecond, double etaSeconds) {

    /** Receives progress; must be cheap and must not throw. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = p -> { };

        void onProgress(Progress progress);
    }
}
