using static TorchSharp.torch;

namespace Maple.Training;

/// <summary>
/// LoCoOp's OOD regularisation (Miyai et al., NeurIPS 2023), for any prompt method: patches whose top-k
/// classes (by local logits) miss the image's label are taken as background, i.e. local OOD examples,
/// and the entropy of their class distribution is maximised, pushing the ID classes' text features away
/// from what is not the object. Loss = cross-entropy − λ · entropy.
/// </summary>
public sealed class LoCoOpRegularizer
{
    /// <summary>Creates the regulariser.</summary>
    /// <param name="lambda">λ, the entropy's weight (LoCoOp uses 0.25).</param>
    /// <param name="topK">A patch counts as background when its label is not among its top <paramref name="topK"/> classes.</param>
    public LoCoOpRegularizer(double lambda, int topK)
    {
        if (!(lambda >= 0) || double.IsInfinity(lambda))
            throw new ArgumentException($"the LoCoOp weight must be zero or positive (got {lambda})", nameof(lambda));
        if (topK < 1)
            throw new ArgumentException($"the LoCoOp top-k must be at least 1 (got {topK})", nameof(topK));
        Lambda = lambda;
        TopK = topK;
    }

    /// <summary>λ, the entropy's weight.</summary>
    public double Lambda { get; }

    /// <summary>The k of the top-k test.</summary>
    public int TopK { get; }

    /// <summary>
    /// LoCoOp's k = 200 of ImageNet's 1,000 classes, scaled to <paramref name="classCount"/> classes:
    /// max(1, round(200 · C / 1000)), i.e. a patch is background when its label is outside its top 20%.
    /// </summary>
    public static int DefaultTopK(int classCount) =>
        Math.Max(1, (int)Math.Round(200.0 * classCount / 1000.0, MidpointRounding.AwayFromZero));

    /// <summary>The regulariser <paramref name="options"/> asks for on <paramref name="classCount"/> classes, or null when it is off (λ = 0).</summary>
    public static LoCoOpRegularizer? For(TrainingOptions options, int classCount) =>
        options.LoCoOpLambda > 0 ? new LoCoOpRegularizer(options.LoCoOpLambda, options.LoCoOpTopK ?? DefaultTopK(classCount)) : null;

    /// <summary>
    /// Mean entropy (nats) of softmax(local logits) over the background patches of the batch; 0 when there
    /// are none. <paramref name="localLogits"/> is [batch, patches, classes], <paramref name="labels"/> [batch].
    /// </summary>
    /// <remarks>
    /// The entropy uses the exact log-softmax; the authors' code takes log(p + 1e-5), which differs only where
    /// a class probability is below ~1e-4.
    /// </remarks>
    public Tensor Entropy(Tensor localLogits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var classes = (int)localLogits.shape[^1];
        Tensor background;
        using (no_grad())
        {
            var top = localLogits.topk(Math.Min(TopK, classes), dim: -1).indexes; // [B, P, k]
            background = top.eq(labels.view(-1, 1, 1)).any(-1).logical_not().to(ScalarType.Float32); // [B, P]
        }
        var count = background.sum().item<float>();
        if (count == 0)
            return zeros([], ScalarType.Float32, localLogits.device).MoveToOuterDisposeScope();
        var logp = localLogits.to(ScalarType.Float32).log_softmax(-1);
        var entropy = -(logp.exp() * logp).sum(-1); // [B, P]
        return ((entropy * background).sum() / count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Cross-entropy of <paramref name="logits"/> [batch, classes] against <paramref name="labels"/>, minus λ
    /// times <see cref="Entropy"/> of <paramref name="localLogits"/>: LoCoOp's training loss.
    /// </summary>
    public Tensor Loss(Tensor logits, Tensor localLogits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var crossEntropy = nn.functional.cross_entropy(logits, labels);
        return (crossEntropy - Lambda * Entropy(localLogits, labels)).MoveToOuterDisposeScope();
    }
}
