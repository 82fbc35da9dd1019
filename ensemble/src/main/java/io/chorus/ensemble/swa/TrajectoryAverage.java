package io.chorus.ensemble.swa;

import java.util.Objects;
import java.util.Optional;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;

import io.chorus.worker.engine.Engine;

/**
 * Stochastic weight averaging (SWA): the arithmetic mean of the parameters of snapshots taken along one
 * training trajectory, as one network.
 *
 * <p>Rules:
 * <ul>
 *   <li>The first snapshot added fixes the architecture (see {@link GraphSignature}: same vertices,
 *       connections and layer configurations, training-only settings such as updater, seed and
 *       iteration counters aside). A snapshot of any other architecture is always refused with an
 *       {@link IllegalArgumentException} describing both architectures and their first difference,
 *       whatever {@code allowAcrossTrajectories} says.</li>
 *   <li>The first snapshot also fixes the trajectory. A snapshot with another trajectory id is refused
 *       with a {@link CrossTrajectoryException}, because averaging independently trained networks is
 *       meaningless (permutation symmetry, see there), unless the average was created with
 *       {@code allowAcrossTrajectories}, which exists to demonstrate that collapse.</li>
 *   <li>Every entry of {@code ComputationGraph.params()} is averaged, which for batch normalization
 *       layers includes their running mean and running variance (or log10 standard deviation). Those
 *       averaged statistics belong to none of the networks averaged and are only placeholders: after
 *       {@link #result()} the statistics must be recomputed for the averaged weights with
 *       {@link BatchNormStatistics#recompute} before the network is evaluated.</li>
 *   <li>A refused snapshot leaves the average unchanged. Snapshots are read, never modified, and not
 *       retained: memory is one parameter vector (see {@link ParameterMean}) plus the first snapshot's
 *       configuration, so the same network may be added again after further training.</li>
 * </ul>
 *
 * <p>Not thread-safe.
 */
public final class TrajectoryAverage {

    private final boolean allowAcrossTrajectories;
    private final ParameterMean mean = new ParameterMean();
    private ComputationGraphConfiguration configuration;
    private GraphSignature signature;
    private String trajectory;

    /**
     * @param allowAcrossTrajectories accept snapshots of other trajectories (only to demonstrate that the
     *                                average of independently trained networks collapses)
     */
    public TrajectoryAverage(boolean allowAcrossTrajectories) {
        this.allowAcrossTrajectories = allowAcrossTrajectories;
    }

    /**
     * Adds the current parameters of {@code snapshot}.
     *
     * @param snapshot     a network of the architecture of the first snapshot added
     * @param trajectoryId the trajectory (for example the member id) the snapshot was taken on
     * @throws IllegalArgumentException  if the architecture differs from the first snapshot's, the
     *                                   trajectory id is empty, or the parameters are not finite
     * @throws CrossTrajectoryException  if the trajectory differs from the first snapshot's and
     *                                   {@code allowAcrossTrajectories} is false
     */
    public void add(ComputationGraph snapshot, String trajectoryId) {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(trajectoryId, "trajectoryId");
        if (trajectoryId.isEmpty()) {
            throw new IllegalArgumentException("trajectoryId must not be empty");
        }
        if (snapshot.params() == null) {
            throw new IllegalArgumentException("snapshot of trajectory '" + trajectoryId
                    + "' is not initialized (call init() first)");
        }
        GraphSignature candidate = GraphSignature.of(snapshot);
        if (signature != null) {
            Optional<String> difference = signature.difference(candidate);
            if (difference.isPresent()) {
                throw new IllegalArgumentException("cannot average a snapshot of another architecture: the first "
                        + "snapshot (trajectory '" + trajectory + "') has " + signature.summary()
                        + ", this snapshot (trajectory '" + trajectoryId + "') has " + candidate.summary()
                        + "; first difference: " + difference.get());
            }
            if (!trajectory.equals(trajectoryId) && !allowAcrossTrajectories) {
                throw new CrossTrajectoryException(trajectory, trajectoryId);
            }
        }
        mean.add(snapshot.params());
        if (signature == null) {
            signature = candidate;
            configuration = snapshot.getConfiguration().clone();
            trajectory = trajectoryId;
        }
    }

    /** Number of snapshots averaged. */
    public long count() {
        return mean.count();
    }

    /**
     * A new network with a clone of the first snapshot's configuration and the averaged parameters
     * (no updater state). Its batch normalization statistics are the averaged placeholders: recompute
     * them with {@link BatchNormStatistics#recompute} on training data before using the network.
     *
     * @throws IllegalStateException if no snapshot was added
     */
    public ComputationGraph result() {
        if (mean.count() == 0) {
            throw new IllegalStateException("no snapshot was added; there is nothing to average");
        }
        Engine.ensureHelpers();
        ComputationGraph net = new ComputationGraph(configuration.clone());
        net.init(mean.mean(), false);
        return net;
    }
}
