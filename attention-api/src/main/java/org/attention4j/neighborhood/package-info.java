/**
 * NATTEN's neighborhood rule, shared by every tier.
 *
 * <p>Null-marked (JSpecify): parameters and results are non-null unless annotated {@code @Nullable}, so Kotlin
 * sees {@code Tensor} rather than {@code Tensor!}.
 */
@NullMarked
package org.attention4j.neighborhood;

import org.jspecify.annotations.NullMarked;
