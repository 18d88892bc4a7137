package org.attention4j;

/** The seven operator families (DESIGN.md section 1). */
public enum Family {
    SOFTMAX, SLIDING_WINDOW, NEIGHBORHOOD, RADIAL, LINEAR, GATED, LOCAL_LINEAR;

    /** Whether the family is a softmax over a key set (so query rows are independent of each other). */
    public boolean rowIndependent() {
        return this != LINEAR && this != GATED;
    }
}
