package io.chorus.driver.ml;

/**
 * The uid of a stage under construction. Spark's classifier classes create their {@code Param}s (each owned
 * by {@code uid()}) in their own constructors, before a Java subclass can assign a field; the subclass's
 * constructor hands its uid over through here first, and {@code uid()} reads it while the field is unset.
 */
final class PendingUid {
    private static final ThreadLocal<String> PENDING = new ThreadLocal<>();
    private final String uid;

    private PendingUid(String uid) {
        this.uid = uid;
    }

    /** Called in the argument list of {@code this(...)}, which runs before the superclass's constructor. */
    static PendingUid of(String uid) {
        PENDING.set(uid);
        return new PendingUid(uid);
    }

    /** The uid of the stage this thread is constructing. */
    static String current() {
        return PENDING.get();
    }

    /** The uid, for the field; the pending one is forgotten. */
    String take() {
        PENDING.remove();
        return uid;
    }
}
