package io.chorus.worker.train;

/** Lifecycle of a member, as its manifest records it. */
public enum MemberStatus {
    RUNNING, FINISHED, DIVERGED, FAILED;

    @com.fasterxml.jackson.annotation.JsonValue
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public static MemberStatus fromConfigName(String name) {
        return valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }

    /** Nothing more will happen to a member in this state unless it is retrained from scratch. */
    public boolean terminal() {
        return this == FINISHED || this == DIVERGED;
    }
}
