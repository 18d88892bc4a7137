/**
 * The facade: tensors, operators and their builders ({@link org.attention4j.Attention}), .npy IO.
 *
 * <p>Null-marked (JSpecify): parameters and results are non-null unless annotated {@code @Nullable}, so Kotlin
 * sees {@code Tensor} rather than {@code Tensor!}.
 */
@NullMarked
package org.attention4j;

import org.jspecify.annotations.NullMarked;
