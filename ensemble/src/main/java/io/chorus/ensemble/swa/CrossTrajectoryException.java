package io.chorus.ensemble.swa;

/**
 * Thrown when a snapshot from another training trajectory (another member, trained from its own
 * initialization) is added to a {@link TrajectoryAverage} that averages within one trajectory only.
 *
 * <p>Averaging weights is only meaningful along one trajectory: snapshots of the same run stay in one
 * basin of the loss, with their hidden units in correspondence. Two independently trained networks
 * compute the same function under any permutation of their hidden units, and nothing makes unit 7 of
 * one match unit 7 of the other; averaging them element by element mixes unrelated units and gives a
 * network that is not a trained network at all (typically near chance accuracy).
 */
public class CrossTrajectoryException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String expectedTrajectory;
    private final String offendingTrajectory;

    /**
     * @param expectedTrajectory  the trajectory the average was started with
     * @param offendingTrajectory the trajectory of the snapshot that was refused
     */
    public CrossTrajectoryException(String expectedTrajectory, String offendingTrajectory) {
        super("cannot average a snapshot of trajectory '" + offendingTrajectory + "' into an average of trajectory '"
                + expectedTrajectory + "': parameters of independently trained networks cannot be averaged, because "
                + "of permutation symmetry: the hidden units of two networks are matched in no particular order "
                + "(any permutation of them computes the same function), so their element-wise average is not a "
                + "trained network. Average snapshots of one trajectory only, or combine the members' predictions "
                + "instead (allowAcrossTrajectories exists only to demonstrate this collapse).");
        this.expectedTrajectory = expectedTrajectory;
        this.offendingTrajectory = offendingTrajectory;
    }

    /** The trajectory the average was started with. */
    public String expectedTrajectory() {
        return expectedTrajectory;
    }

    /** The trajectory of the refused snapshot. */
    public String offendingTrajectory() {
        return offendingTrajectory;
    }
}
