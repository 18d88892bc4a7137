package org.attention4j.spi;

import org.attention4j.internal.Checks;

/** A backend's answer to "can you run this call?", with the reason when it cannot. */
public final class Support {
    private static final Support YES = new Support(true, "supported");
    private final boolean supported;
    private final String reason;

    private Support(boolean supported, String reason) {
        this.supported = supported;
        this.reason = reason;
    }

    public static Support yes() {
        return YES;
    }

    public static Support no(String reason) {
        return new Support(false, Checks.notNull(reason, "reason"));
    }

    public boolean supported() {
        return supported;
    }

    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return supported ? "yes" : "no (" + reason + ")";
    }
}
