package org.attention4j;

/**
 * When the dispatcher re-checks a fast backend against the reference (DESIGN.md section 4).
 * Set per operator with the builders' {@code verify(...)}, or for the process with the system property
 * {@code attention4j.verify=on_first_use|always|off}; an operator's own setting wins.
 */
public enum VerifyPolicy {
    /** Verify the first call per (backend, operator config, dtype, shape class); the default. */
    ON_FIRST_USE,
    /** Verify every call (slow: for debugging a backend). */
    ALWAYS,
    /** Never verify. */
    OFF;

    /** Parses the property spelling ({@code on_first_use}, {@code always}, {@code off}), case-insensitive. */
    public static VerifyPolicy parse(String s) {
        String n = s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (VerifyPolicy p : values()) {
            if (p.name().equals(n)) {
                return p;
            }
        }
        throw org.attention4j.internal.Checks.mismatch("attention4j.verify", "one of on_first_use, always, off", s);
    }
}
