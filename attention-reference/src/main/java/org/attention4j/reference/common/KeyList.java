package org.attention4j.reference.common;

import java.util.Arrays;

/**
 * The visible keys of one query row: key tokens of the batch element's key sequence, each with the additive
 * bias of its logit (0 without ALiBi). Reused from row to row to avoid garbage.
 */
public final class KeyList {
    private int[] tokens = new int[16];
    private double[] biases = new double[16];
    private int size;

    public void clear() {
        size = 0;
    }

    /** Adds key {@code token} with no bias. */
    public void add(int token) {
        add(token, 0);
    }

    /** Adds key {@code token} whose logit gets {@code bias} added after the softcap. */
    public void add(int token, double bias) {
        if (size == tokens.length) {
            tokens = Arrays.copyOf(tokens, 2 * size);
            biases = Arrays.copyOf(biases, 2 * size);
        }
        tokens[size] = token;
        biases[size] = bias;
        size++;
    }

    public int size() {
        return size;
    }

    public int token(int n) {
        return tokens[n];
    }

    public double bias(int n) {
        return biases[n];
    }
}
