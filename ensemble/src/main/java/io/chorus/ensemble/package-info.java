/**
 * Combining trained members into ensembles and evaluating them, without Spark.
 * <ul>
 *   <li>{@link io.chorus.ensemble.combine}: combiners, pure functions over the members' class
 *       probabilities (average, weighted average, vote, greedy selection);</li>
 *   <li>{@link io.chorus.ensemble.metrics}: accuracy, NLL, Brier, ECE and reliability bins, diversity
 *       between members, metrics against ensemble size;</li>
 *   <li>{@link io.chorus.ensemble.swa}: parameter averaging along one trajectory and batch-norm
 *       statistics recomputed afterwards;</li>
 *   <li>{@link io.chorus.ensemble.heads}: a frozen backbone shared by several classifier heads, and MC
 *       dropout;</li>
 *   <li>{@link io.chorus.ensemble.calibrate}: temperature scaling fitted on the validation split.</li>
 * </ul>
 * The driver's evaluation distributes these over Spark; everything here runs in one JVM.
 */
package io.chorus.ensemble;
