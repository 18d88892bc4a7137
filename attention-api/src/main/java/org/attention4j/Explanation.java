package org.attention4j;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The dispatcher's reasoning for one call: every backend considered, in order.
 *
 * @param call    a description of the operator and shapes
 * @param entries one per backend, highest priority first
 * @param chosen  the name of the backend that would run the call, or null if none can
 */
public record Explanation(String call, List<Entry> entries, @Nullable String chosen) {
    /**
     * @param backend   backend name
     * @param priority  its priority
     * @param available whether it loaded on this machine
     * @param supported whether it supports this call
     * @param reason    why (not) chosen
     * @param verification its verification state for this call's key: "trusted", "untrusted: ...", "not yet verified", "oracle" or "off"
     */
    public record Entry(String backend, int priority, boolean available, boolean supported, String reason, String verification) {
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(call).append('\n');
        for (Entry e : entries) {
            sb.append(e.backend().equals(chosen) ? " -> " : "    ").append(String.format("%-10s", e.backend()))
                    .append(" priority ").append(e.priority()).append(": ").append(e.reason())
                    .append(" [").append(e.verification()).append("]\n");
        }
        if (chosen == null) {
            sb.append("    no backend can run this call\n");
        }
        return sb.toString();
    }
}
