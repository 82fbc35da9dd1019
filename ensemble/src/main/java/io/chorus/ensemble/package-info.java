/**
 * Combining trained members into ensembles and evaluating them. The combiners land with the
 * ensemble work; this module already builds against the worker so the driver can depend on it.
 */
package io.chorus.ensemble;
