package org.attention4j.examples

import java.util.SplittableRandom
import kotlin.math.exp
import kotlin.math.ln
import kotlin.system.exitProcess
import org.attention4j.Attention
import org.attention4j.Parity
import org.attention4j.RadialModel
import org.attention4j.Tensor

/**
 * Every operator family called from Kotlin through the facade, each checked against the reference
 * backend. CI runs this (examples/kotlin, `mvn verify`); the README's Kotlin snippet is the region below.
 */
fun main() {
    val checks = mutableListOf<Check>()

    // region readme
    val rnd = SplittableRandom(7)
    fun randn(vararg shape: Int) = Tensor.of(FloatArray(shape.fold(1) { a, b -> a * b }) { rnd.nextGaussian().toFloat() }, *shape)

    val b = 1; val s = 64; val h = 4; val hkv = 2; val d = 16
    val q = randn(b, s, h, d)
    val k = randn(b, s, hkv, d)                                  // 2 kv heads: GQA 4:2
    val v = randn(b, s, hkv, d)
    val causal = Attention.softmax().causal(true).scale(0.25).build()
    val o = causal.forward(q, k, v)
    val (o2, lse) = causal.forwardWithLse(q, k, v)               // lse [B, H, S]
    val window = Attention.slidingWindow(15, 0).build().forward(q, k, v)

    val grid = randn(b, 8, 8, h, d)                              // a 2-D token grid [B, X, Y, H, D]
    val na = Attention.neighborhood(3, 3).dilation(2).build().forward(grid, grid, grid)
    val video = randn(b, 4 * 32, h, d)                           // 4 frames of 32 tokens
    val radial = Attention.radial(4, 32).blockSize(64).model(RadialModel.WAN).build().forward(video, video, video)

    val kh = randn(b, s, h, d)                                   // the linear family has no GQA
    val vh = randn(b, s, h, d)
    val (lin, state) = Attention.linear().normalize(false).build().forward(q, kh, vh, null)   // h0 = null: zeros
    val gate = Tensor.of(FloatArray(b * s * h * d) { logSigmoid(rnd.nextGaussian()) / 16 }, b, s, h, d)
    val (gla, _) = Attention.gated().build().forward(q, kh, vh, gate, state)                   // continue from state
    val lla = Attention.localLinear().ridgeLambda(0.1).scale(0.25).build().forward(q, kh, vh)

    val cache = causal.newKvCache(b, s, hkv, d)                  // decode: the last query against a KV cache
    cache.append(k.slice(1, 0, s - 1), v.slice(1, 0, s - 1))
    val next = cache.decode(q.slice(1, s - 1, s).contiguous(), k.slice(1, s - 1, s).contiguous(), v.slice(1, s - 1, s).contiguous())
    println("last backend: ${Attention.lastBackend() ?: "none"}; o ${o.shape().contentToString()}, next ${next[0, 0, 1, 2]}")
    // endregion

    checks += verify("softmax causal GQA 4:2", o) { causal.forward(q, k, v) }
    checks += verify("softmax LSE output", o2) { causal.forwardWithLse(q, k, v).output() }
    checks += verify("softmax LSE", lse) { causal.forwardWithLse(q, k, v).lse() }
    checks += verify("sliding window (15, 0)", window) { Attention.slidingWindow(15, 0).build().forward(q, k, v) }
    checks += verify("neighborhood 2-D 3x3 dilation 2", na) { Attention.neighborhood(3, 3).dilation(2).build().forward(grid, grid, grid) }
    checks += verify("radial (Wan, 4 frames)", radial) {
        Attention.radial(4, 32).blockSize(64).model(RadialModel.WAN).build().forward(video, video, video)
    }
    checks += verify("linear", lin) { Attention.linear().normalize(false).build().forward(q, kh, vh, null).output() }
    checks += verify("linear final state", state) { Attention.linear().normalize(false).build().forward(q, kh, vh).finalState() }
    checks += verify("gated (GLA) from a state", gla) { Attention.gated().build().forward(q, kh, vh, gate, state).output() }
    checks += verify("local-linear (LLA)", lla) { Attention.localLinear().ridgeLambda(0.1).scale(0.25).build().forward(q, kh, vh) }
    checks += verify("softmax decode (KV cache)", next) { causal.forward(q, k, v).slice(1, s - 1, s).contiguous() }

    val failed = checks.count { !it.parity.ok() }
    println("Kotlin: ${checks.size - failed} passed, $failed failed")
    if (failed > 0) exitProcess(1)
}

class Check(val name: String, val backend: String, val parity: Parity)

/**
 * Compares [got] with [compute] run on the reference backend (forced), and names the backend that [compute]
 * runs on by default, which is the one that produced [got].
 */
fun verify(name: String, got: Tensor, compute: () -> Tensor): Check {
    compute()
    val backend = Attention.lastBackend() ?: "none"
    val previous = System.getProperty("attention4j.backend")
    System.setProperty("attention4j.backend", "reference")
    val want = try {
        compute().also { check(Attention.lastBackend() == "reference") { "$name: answered by ${Attention.lastBackend()}" } }
    } finally {
        if (previous == null) System.clearProperty("attention4j.backend") else System.setProperty("attention4j.backend", previous)
    }
    val parity = Parity.of(want, got)
    println(String.format("%-34s %-10s %s", name, backend, parity))
    return Check(name, backend, parity)
}

fun logSigmoid(x: Double): Float = (if (x >= 0) -ln(1 + exp(-x)) else x - ln(1 + exp(x))).toFloat()
