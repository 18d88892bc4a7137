package org.attention4j.jmh;

import java.util.Arrays;

/** A neighborhood benchmark's {@code "XxY[xZ]/kernel"} parameter: grid extents and one kernel size for every axis. */
public record GridSpec(int[] extents, int kernel) {
    public static GridSpec parse(String text) {
        String[] parts = text.split("/");
        if (parts.length != 2) {
            throw new IllegalArgumentException("grid: expected \"XxY[xZ]/kernel\", got \"" + text + "\"");
        }
        int[] ext = Arrays.stream(parts[0].split("x")).mapToInt(Integer::parseInt).toArray();
        return new GridSpec(ext, Integer.parseInt(parts[1]));
    }

    /** Tokens in the grid. */
    public long tokens() {
        long n = 1;
        for (int e : extents) {
            n *= e;
        }
        return n;
    }

    /** The tensor shape {@code [b, extents..., h, d]}. */
    long[] shape(int b, int h, int d) {
        long[] shape = new long[extents.length + 3];
        shape[0] = b;
        for (int i = 0; i < extents.length; i++) {
            shape[i + 1] = extents[i];
        }
        shape[extents.length + 1] = h;
        shape[extents.length + 2] = d;
        return shape;
    }
}
