/**
 * Stochastic weight averaging: the mean of the parameters of snapshots along one training trajectory
 * ({@link io.chorus.ensemble.swa.TrajectoryAverage}), followed by recomputing the batch normalization
 * statistics for the averaged weights ({@link io.chorus.ensemble.swa.BatchNormStatistics}).
 */
package io.chorus.ensemble.swa;
