/**
 * The backend SPI: what a backend implements and the validated call it receives.
 *
 * <p>Null-marked (JSpecify): parameters and results are non-null unless annotated {@code @Nullable}, so Kotlin
 * sees {@code Tensor} rather than {@code Tensor!}.
 */
@NullMarked
package org.attention4j.spi;

import org.jspecify.annotations.NullMarked;
