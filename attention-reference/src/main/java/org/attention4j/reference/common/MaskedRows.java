package org.attention4j.reference.common;

import org.attention4j.DType;
import org.attention4j.LseMerge;
import org.attention4j.Tensor;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;

/**
 * The loop every softmax-type reference shares: for each batch element, query token and head, a family's
 * {@link KeySelector} lists the visible keys and {@link SoftmaxRow} attends them. Query head {@code h} reads
 * key/value head {@code h / (H / Hkv)} (spec 0.5). Output {@code [B, T..., H, Dv]} in q's dtype; LSE fp32
 * {@code [B, H, T...]} when the call asks for it. Only the rows of {@link AttentionCall#queryRows()} are
 * computed when it is set (the verifier's sample); the others stay 0.
 */
public final class MaskedRows {
    private MaskedRows() {
    }

    /** A family's mask: which keys (and with which bias) a query sees. */
    @FunctionalInterface
    public interface KeySelector {
        /** Adds to {@code keys} the key tokens visible to query {@code token} of head {@code h} in batch {@code b}. */
        void select(int b, int token, int h, KeyList keys);
    }

    /** Runs {@code call} with the op's scale, the given softcap (0 = none) and mask. */
    public static AttentionResult forward(AttentionCall call, double softcap, KeySelector selector) {
        Tensor q = call.q();
        int batch = call.batch();
        int tokens = call.queryTokens();
        int heads = call.heads();
        int group = heads / call.kvHeads();
        long[] outShape = q.shape();
        outShape[outShape.length - 1] = call.valueDim();
        Tensor out = Tensor.zeros(q.dtype(), outShape);
        Tensor lse = call.needLse() ? Tensor.zeros(DType.F32, LseMerge.lseShape(outShape)) : null;

        TokenRows qRows = new TokenRows(q);
        TokenRows outRows = new TokenRows(out);
        SoftmaxRow row = new SoftmaxRow(new TokenRows(call.k()), new TokenRows(call.v()),
                call.op().scale(call.headDim()), softcap);
        KeyList keys = new KeyList();
        double[] qv = new double[call.headDim()];
        double[] ov = new double[call.valueDim()];
        boolean[] only = call.queryRows();
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < tokens; t++) {
                if (only != null && !only[t]) {
                    continue;
                }
                for (int h = 0; h < heads; h++) {
                    keys.clear();
                    selector.select(b, t, h, keys);
                    qRows.read(qRows.row(b, t, h), qv);
                    double l = row.attend(qv, b, h / group, keys, ov);
                    outRows.write(outRows.row(b, t, h), ov);
                    if (lse != null) {
                        lse.storage().setFloat(((long) b * heads + h) * tokens + t, (float) l);
                    }
                }
            }
        }
        return new AttentionResult(out, lse, null, null);
    }
}
