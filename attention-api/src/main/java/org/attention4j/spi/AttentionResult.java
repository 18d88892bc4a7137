package org.attention4j.spi;

import org.attention4j.Tensor;
import org.jspecify.annotations.Nullable;

/**
 * What a backend returns. Fields a call did not ask for are {@code null}.
 *
 * @param output      {@code [B, S..., H, Dv]}, dtype of q
 * @param lse         {@code [B, H, S...]} fp32 natural-log LSE (heads first for every family); {@code +inf} for empty rows
 * @param finalState  linear family: {@code [N, H, Dk, Dv]} fp32
 * @param finalKeySum normalized linear attention: {@code [N, H, Dk]} fp32 running key sum {@code z}
 */
public record AttentionResult(Tensor output, @Nullable Tensor lse, @Nullable Tensor finalState, @Nullable Tensor finalKeySum) {
    public static AttentionResult of(Tensor output) {
        return new AttentionResult(output, null, null, null);
    }
}
