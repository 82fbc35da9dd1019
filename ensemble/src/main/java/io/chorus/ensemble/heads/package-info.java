/**
 * Ensembles that share one member's backbone: several classifier heads trained on its frozen features
 * ({@link io.chorus.ensemble.heads.HeadTrainer}, {@link io.chorus.ensemble.heads.HeadEnsemble}), and Monte
 * Carlo dropout in the member's own head ({@link io.chorus.ensemble.heads.McDropout}). The backbone runs
 * once per batch either way ({@link io.chorus.ensemble.heads.Backbone}).
 */
package io.chorus.ensemble.heads;
