// %% [markdown]
// # Attention4J: a tour in a Kotlin notebook
//
// Every operator family through the facade, the backend that answered each call, the error against the
// reference, a radial attention mask and a timing chart per backend.
//
// `attention4j-tour.ipynb` (Kotlin kernel) is generated from `attention4j-tour.main.kts`, cell for cell;
// CI runs the script, so the notebook cannot rot. Edit the script, then run `NotebookSync` (see the README
// beside it). The notebook adds one line to its first cell, `@file:Repository("*mavenLocal")`, because the
// kernel does not look in the local Maven repository by default and the script host does.

// %%
@file:DependsOn("org.attention4j:attention-cpu:0.1.0-SNAPSHOT")
@file:DependsOn("org.jfree:jfreechart:1.5.6")

import java.awt.Color
import java.awt.image.BufferedImage
import java.io.File
import java.util.SplittableRandom
import javax.imageio.ImageIO
import org.attention4j.Attention
import org.attention4j.AttentionOp
import org.attention4j.Parity
import org.attention4j.RadialModel
import org.attention4j.Tensor
import org.jfree.chart.ChartFactory
import org.jfree.chart.axis.LogAxis
import org.jfree.chart.plot.PlotOrientation
import org.jfree.data.category.DefaultCategoryDataset

val out = File(System.getProperty("attention4j.notebook.out") ?: "notebook-out").apply { mkdirs() }
val rnd = SplittableRandom(2026)
fun randn(vararg shape: Int) = Tensor.of(FloatArray(shape.fold(1) { a, b -> a * b }) { rnd.nextGaussian().toFloat() }, *shape)

// %% [markdown]
// ## Tensors and one call
// Tensors are `[B, S, H, D]` views over a `float[]`, an off-heap buffer or an `.npy` file. Four query heads
// over two key/value heads is grouped-query attention; `explain` says which backend runs the call and why.

// %%
val q = randn(1, 256, 4, 32)
val k = randn(1, 256, 2, 32)
val v = randn(1, 256, 2, 32)
val causal = Attention.softmax().causal(true).build()
val o = causal.forward(q, k, v)
println("o ${o.shape().contentToString()} answered by ${Attention.lastBackend()}")
println(Attention.explain(causal, q, k, v))

// %% [markdown]
// ## Every family, timed on every backend that supports it
// Each step runs once to warm up (and be verified against the reference on first use), then is timed on
// each available backend, forced with the system property `attention4j.backend` (median of up to 7 calls).

// %%
class Step(val name: String, val op: AttentionOp, val q: Tensor, val k: Tensor, val v: Tensor, val run: () -> Tensor)

val kh = randn(1, 256, 4, 32)
val vh = randn(1, 256, 4, 32)
val grid = randn(1, 16, 16, 4, 32)
val gate = Tensor.of(FloatArray(256 * 4 * 32) { -rnd.nextDouble().toFloat() / 16 }, 1, 256, 4, 32)
val window = Attention.slidingWindow(63, 0).build()
val neighborhood = Attention.neighborhood(5, 5).dilation(2).build()
val radial = Attention.radial(4, 64).blockSize(64).model(RadialModel.WAN).build()
val linear = Attention.linear().normalize(false).build()
val gated = Attention.gated().build()
val localLinear = Attention.localLinear().ridgeLambda(0.1).build()
val steps = listOf(
    Step("softmax causal GQA", causal, q, k, v) { causal.forward(q, k, v) },
    Step("sliding window (63, 0)", window, q, k, v) { window.forward(q, k, v) },
    Step("neighborhood 2-D 5x5", neighborhood, grid, grid, grid) { neighborhood.forward(grid, grid, grid) },
    Step("radial (Wan)", radial, q, kh, vh) { radial.forward(q, kh, vh) },
    Step("linear", linear, q, kh, vh) { linear.forward(q, kh, vh, null).output() },
    Step("gated (GLA)", gated, q, kh, vh) { gated.forward(q, kh, vh, gate).output() },
    Step("local-linear (LLA)", localLinear, q, kh, vh) { localLinear.forward(q, kh, vh) },
)

fun <T> onBackend(name: String?, block: () -> T): T {
    val previous = System.getProperty("attention4j.backend")
    if (name == null) System.clearProperty("attention4j.backend") else System.setProperty("attention4j.backend", name)
    try {
        return block()
    } finally {
        if (previous == null) System.clearProperty("attention4j.backend") else System.setProperty("attention4j.backend", previous)
    }
}

/** Median time of [block] after one warm-up call: up to 7 calls, fewer once 300 ms are spent. */
fun millis(block: () -> Unit): Double {
    block()
    val times = mutableListOf<Double>()
    val start = System.nanoTime()
    while (times.size < 7 && (times.size < 1 || System.nanoTime() - start < 300_000_000)) {
        val t0 = System.nanoTime()
        block()
        times += (System.nanoTime() - t0) / 1e6
    }
    return times.sorted()[times.size / 2]
}

val timings = DefaultCategoryDataset()
var fastest = Double.MAX_VALUE
var slowest = 0.0
val parities = mutableListOf<Pair<String, Parity>>()
for (step in steps) {
    print("${step.name} ...")
    val best = step.run()
    val bestBackend = Attention.lastBackend()
    val reference = onBackend("reference") { step.run() }
    parities += "${step.name} on $bestBackend" to Parity.of(reference, best)
    val backends = listOfNotNull(bestBackend) +
        Attention.explain(step.op, step.q, step.k, step.v).entries().filter { it.available() && it.supported() }.map { it.backend() }
    for (backend in backends.distinct()) {
        val ms = onBackend(backend) { millis { step.run() } }
        timings.addValue(ms, backend, step.name)
        fastest = minOf(fastest, ms)
        slowest = maxOf(slowest, ms)
        print(" $backend %.1f ms".format(ms))
    }
    println()
}

// %% [markdown]
// ## Every result against the reference
// Relative L2 error of the default backend's output against the reference backend's, with the dispatcher's
// tolerance for the dtype. The script fails here if any differs.

// %%
for ((name, p) in parities) println("%-36s %s".format(name, p))
val failed = parities.filter { !it.second.ok() }
check(failed.isEmpty()) { "mismatch against the reference: ${failed.map { it.first }}" }

// %% [markdown]
// ## The radial mask
// Radial attention keeps a static O(n log n) set of blocks over video frames: dense near the diagonal,
// sparser with temporal distance, and the first frame dense (Wan's attention sink). One square per
// 64 x 64 block of tokens below; blue blocks are computed, the rest skipped.

// %%
fun maskImage(mask: org.attention4j.radial.RadialMask, cell: Int): BufferedImage {
    val n = mask.numBlocks()
    val img = BufferedImage(n * cell, n * cell, BufferedImage.TYPE_INT_RGB)
    val g = img.createGraphics()
    for (qb in 0 until n) for (kb in 0 until n) {
        g.color = if (mask.kept(qb, kb)) Color(33, 102, 172) else Color(240, 240, 240)
        g.fillRect(kb * cell, qb * cell, cell - 1, cell - 1)
    }
    g.dispose()
    return img
}
val videoRadial = Attention.radial(16, 256).blockSize(64).build()
val mask = videoRadial.blockMask(16 * 256)
println("radial mask, 16 frames of 256 tokens: ${mask.numBlocks()} x ${mask.numBlocks()} blocks, density %.3f".format(mask.density()))
val maskPng = File(out, "radial-mask.png")
ImageIO.write(maskImage(mask, 8), "png", maskPng)
println("wrote $maskPng")
maskImage(mask, 8)

// %% [markdown]
// ## Time per operator and backend
// Log scale: the reference accumulates in fp64 and is slow by design; the CPU backend (and CUDA, on a GPU
// machine) are what a program uses.

// %%
val chart = ChartFactory.createBarChart("Attention4J tour: time per call", null, "milliseconds (log scale)",
    timings, PlotOrientation.HORIZONTAL, true, false, false)
chart.categoryPlot.rangeAxis = LogAxis("milliseconds (log scale)").apply { setRange(fastest / 2, slowest * 2) }
chart.categoryPlot.backgroundPaint = Color.WHITE
chart.categoryPlot.rangeGridlinePaint = Color.GRAY
val chartPng = File(out, "timings.png")
ImageIO.write(chart.createBufferedImage(900, 520), "png", chartPng)
println("wrote $chartPng")
chart.createBufferedImage(900, 520)
