package org.attention4j.reference.common;

import org.attention4j.Storage;
import org.attention4j.Tensor;

/**
 * A {@code [B, T..., H, D]} tensor seen as rows of its last axis, addressed by batch, flat token (row-major
 * over the sequence or spatial axes) and head. Addresses come from the view's strides, so permuted,
 * sliced or otherwise non-contiguous tensors are read and written in place.
 */
public final class TokenRows {
    private final Storage storage;
    private final long offset;
    private final long batchStride;
    private final long headStride;
    private final long elementStride;
    private final int[] extents;
    private final long[] strides;
    private final int tokens;
    private final int width;

    public TokenRows(Tensor t) {
        int rank = t.rank();
        this.storage = t.storage();
        this.offset = t.offset();
        this.batchStride = t.stride(0);
        this.headStride = t.stride(rank - 2);
        this.elementStride = t.stride(rank - 1);
        this.extents = new int[rank - 3];
        this.strides = new long[rank - 3];
        int n = 1;
        for (int a = 0; a < extents.length; a++) {
            extents[a] = t.dim(1 + a);
            strides[a] = t.stride(1 + a);
            n *= extents[a];
        }
        this.tokens = n;
        this.width = t.dim(rank - 1);
    }

    /** Tokens per batch element (product of the sequence or spatial extents). */
    public int tokens() {
        return tokens;
    }

    /** Elements per row (the head dim). */
    public int width() {
        return width;
    }

    /** Storage index of element 0 of row (b, token, h). */
    public long row(int b, int token, int h) {
        long p = offset + b * batchStride + h * headStride;
        int rest = token;
        for (int a = extents.length - 1; a >= 0; a--) {
            p += (rest % extents[a]) * strides[a];
            rest /= extents[a];
        }
        return p;
    }

    /** Element {@code d} of the row starting at {@code row}. */
    public double get(long row, int d) {
        return storage.getFloat(row + d * elementStride);
    }

    /** Reads the row starting at {@code row} into {@code dst}, widened to double. */
    public void read(long row, double[] dst) {
        for (int d = 0; d < width; d++) {
            dst[d] = storage.getFloat(row + d * elementStride);
        }
    }

    /** Writes {@code src} into the row starting at {@code row}, rounded to the tensor's dtype. */
    public void write(long row, double[] src) {
        for (int d = 0; d < width; d++) {
            storage.setFloat(row + d * elementStride, (float) src[d]);
        }
    }
}
