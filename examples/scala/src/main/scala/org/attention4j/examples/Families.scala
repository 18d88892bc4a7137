package org.attention4j.examples

import java.util.SplittableRandom
import org.attention4j.{Attention, Parity, RadialModel, Tensor}

/**
 * Every operator family called from Scala through the facade, each checked against the reference backend.
 * CI runs this (examples/scala, `mvn verify`); the README's Scala snippet is the region below.
 */
object Families {
  final case class Check(name: String, backend: String, parity: Parity)

  def main(args: Array[String]): Unit = {
    // region readme
    val rnd = new SplittableRandom(7)
    def randn(shape: Int*): Tensor = Tensor.of(Array.fill(shape.product)(rnd.nextGaussian().toFloat), shape: _*)

    val (b, s, h, hkv, d) = (1, 64, 4, 2, 16)
    val q = randn(b, s, h, d)
    val k = randn(b, s, hkv, d)                                  // 2 kv heads: GQA 4:2
    val v = randn(b, s, hkv, d)
    val causal = Attention.softmax().causal(true).scale(0.25).build()
    val o = causal.forward(q, k, v)
    val withLse = causal.forwardWithLse(q, k, v)                 // withLse.lse: [B, H, S]
    val window = Attention.slidingWindow(15, 0).build().forward(q, k, v)

    val grid = randn(b, 8, 8, h, d)                              // a 2-D token grid [B, X, Y, H, D]
    val na = Attention.neighborhood(3, 3).dilation(2).build().forward(grid, grid, grid)
    val video = randn(b, 4 * 32, h, d)                           // 4 frames of 32 tokens
    val radial = Attention.radial(4, 32).blockSize(64).model(RadialModel.WAN).build().forward(video, video, video)

    val kh = randn(b, s, h, d)                                   // the linear family has no GQA
    val vh = randn(b, s, h, d)
    val lin = Attention.linear().normalize(false).build().forward(q, kh, vh, null)   // h0 = null: zeros
    val gate = Tensor.of(Array.fill(b * s * h * d)(logSigmoid(rnd.nextGaussian()) / 16), b, s, h, d)
    val gla = Attention.gated().build().forward(q, kh, vh, gate, lin.finalState)      // continue from the state
    val lla = Attention.localLinear().ridgeLambda(0.1).scale(0.25).build().forward(q, kh, vh)

    val cache = causal.newKvCache(b, s, hkv, d)                  // decode: the last query against a KV cache
    cache.append(k.slice(1, 0, s - 1), v.slice(1, 0, s - 1))
    val next = cache.decode(q.slice(1, s - 1, s).contiguous(), k.slice(1, s - 1, s).contiguous(), v.slice(1, s - 1, s).contiguous())
    println(s"last backend: ${Option(Attention.lastBackend()).getOrElse("none")}; o ${o.shape.mkString("[", ", ", "]")}, next ${next.get(0, 0, 1, 2)}")
    // endregion

    val checks = Seq(
      verify("softmax causal GQA 4:2", o)(causal.forward(q, k, v)),
      verify("softmax LSE output", withLse.output)(causal.forwardWithLse(q, k, v).output),
      verify("softmax LSE", withLse.lse)(causal.forwardWithLse(q, k, v).lse),
      verify("sliding window (15, 0)", window)(Attention.slidingWindow(15, 0).build().forward(q, k, v)),
      verify("neighborhood 2-D 3x3 dilation 2", na)(Attention.neighborhood(3, 3).dilation(2).build().forward(grid, grid, grid)),
      verify("radial (Wan, 4 frames)", radial)(
        Attention.radial(4, 32).blockSize(64).model(RadialModel.WAN).build().forward(video, video, video)),
      verify("linear", lin.output)(Attention.linear().normalize(false).build().forward(q, kh, vh, null).output),
      verify("linear final state", lin.finalState)(Attention.linear().normalize(false).build().forward(q, kh, vh).finalState),
      verify("gated (GLA) from a state", gla.output)(Attention.gated().build().forward(q, kh, vh, gate, lin.finalState).output),
      verify("local-linear (LLA)", lla)(Attention.localLinear().ridgeLambda(0.1).scale(0.25).build().forward(q, kh, vh)),
      verify("softmax decode (KV cache)", next)(causal.forward(q, k, v).slice(1, s - 1, s).contiguous()))

    val failed = checks.count(!_.parity.ok)
    println(s"Scala: ${checks.size - failed} passed, $failed failed")
    if (failed > 0) sys.exit(1)
  }

  /**
   * Compares `got` with `compute` run on the reference backend (forced), and names the backend that
   * `compute` runs on by default, which is the one that produced `got`.
   */
  def verify(name: String, got: Tensor)(compute: => Tensor): Check = {
    compute
    val backend = Option(Attention.lastBackend()).getOrElse("none")
    val previous = System.getProperty("attention4j.backend")
    System.setProperty("attention4j.backend", "reference")
    val want =
      try {
        val r = compute
        require(Attention.lastBackend() == "reference", s"$name: answered by ${Attention.lastBackend()}")
        r
      } finally {
        if (previous == null) System.clearProperty("attention4j.backend") else System.setProperty("attention4j.backend", previous)
      }
    val parity = Parity.of(want, got)
    println(f"$name%-34s $backend%-10s $parity")
    Check(name, backend, parity)
  }

  def logSigmoid(x: Double): Float =
    (if (x >= 0) -math.log1p(math.exp(-x)) else x - math.log1p(math.exp(x))).toFloat
}
