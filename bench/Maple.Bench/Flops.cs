using Maple.Clip;

namespace Maple.Bench;

/// <summary>
/// The matrix products a case asks of the CPU, in GFLOP (two per multiply-add), so that each time can be read as a
/// fraction of the same run's GEMM limit. Only products count (the projections, attention's scores and weighted sums,
/// the patch convolution); LayerNorm, softmax, the activation and copies are the overhead a fraction below 1 shows.
/// Attention is counted whole, causal or not. A backward pass into the input only (the backbone is frozen) costs
/// each linear layer's forward once more and attention's twice (four products against two).
/// </summary>
public static class Flops
{
    /// <summary>One encoder's forward and backward products for sequences of <paramref name="length"/> rows.</summary>
    /// <param name="sequences">How many sequences (images, or prompts of this length).</param>
    /// <param name="length">Rows per sequence, prompt tokens included.</param>
    /// <param name="width">The encoder's width.</param>
    /// <param name="hidden">The MLP's hidden width.</param>
    /// <param name="layers">Blocks; the last computes only the one row read out (its keys and values still cover every row).</param>
    /// <param name="embed">The joint embedding width (the final projection).</param>
    public static (double Forward, double Backward) Encoder(double sequences, double length, double width, double hidden, int layers, double embed)
    {
        var (fullLinear, fullAttention) = Block(length, length, width, hidden);
        var (lastLinear, lastAttention) = Block(1, length, width, hidden);
        var projection = 2 * width * embed;
        var forward = (layers - 1) * (fullLinear + fullAttention) + lastLinear + lastAttention + projection;
        var backward = (layers - 1) * (fullLinear + 2 * fullAttention) + lastLinear + 2 * lastAttention + projection;
        return (sequences * forward / 1e9, sequences * backward / 1e9);
    }

    /// <summary>The image encoder's forward (with the patch convolution) and backward into its prompts, for a batch.</summary>
    public static (double Forward, double Backward) Image(ClipConfig config, int batch, int promptTokens)
    {
        var v = config.Vision;
        var (forward, backward) = Encoder(batch, v.SequenceLength + promptTokens, v.Width, v.IntermediateSize, v.Layers, config.EmbedDim);
        var patches = (double)v.GridSize * v.GridSize;
        var convolution = batch * 2 * patches * 3 * v.PatchSize * v.PatchSize * v.Width / 1e9;
        return (forward + convolution, backward);
    }

    /// <summary>The text encoder's forward and backward for prompts read out at these end-of-text positions.</summary>
    public static (double Forward, double Backward) Text(ClipConfig config, IEnumerable<long> endOfText)
    {
        var t = config.Text;
        var (forward, backward) = (0.0, 0.0);
        foreach (var eot in endOfText)
        {
            var (f, b) = Encoder(1, eot + 1, t.Width, t.IntermediateSize, t.Layers, config.EmbedDim);
            forward += f;
            backward += b;
        }
        return (forward, backward);
    }

    // One block: (linear products, attention products) for `rows` query rows over `keys` rows.
    static (double Linear, double Attention) Block(double rows, double keys, double width, double hidden) =>
        (2 * keys * width * 2 * width          // keys and values of every row
            + 2 * rows * width * width         // queries
            + 2 * rows * width * width         // output projection
            + 2 * rows * 2 * width * hidden,   // the MLP's two layers
         2 * 2 * rows * keys * width);         // scores and the weighted sum of values
}
