using Maple.Clip;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Training;

/// <summary>The terms of MMRL's loss on one batch.</summary>
/// <param name="Total">α·<paramref name="ClassTokenCe"/> + (1 − α)·<paramref name="RepresentationCe"/> + λ·(<paramref name="ImageConsistency"/> + <paramref name="TextConsistency"/>).</param>
/// <param name="ClassTokenCe">Cross-entropy of the class-token logits.</param>
/// <param name="RepresentationCe">Cross-entropy of the representation logits.</param>
/// <param name="ImageConsistency">1 − mean cosine between the class-token image features and frozen CLIP's.</param>
/// <param name="TextConsistency">1 − mean cosine between the text features and frozen CLIP's.</param>
/// <param name="Outputs">The forward pass the terms came from.</param>
public sealed record MmrlLoss(Tensor Total, Tensor ClassTokenCe, Tensor RepresentationCe, Tensor ImageConsistency, Tensor TextConsistency, MmrlOutputs Outputs);

/// <summary>
/// MMRL's training loss (the authors' <c>MMRL_Loss</c>): cross-entropy of the class-token and of the representation
/// logits weighted α and 1 − α, plus λ times the cosine consistency of the image and the text features with frozen
/// CLIP's (no prompts, same text). Frozen CLIP's text features depend on nothing learned: they are computed once,
/// here; its image features once per batch, without gradient.
/// </summary>
public sealed class MmrlObjective : IDisposable
{
    readonly PromptedClip _model;
    readonly MmrlLearner _learner;
    readonly Tensor _frozenText;

    /// <summary>Prepares the loss of <paramref name="model"/> (an MMRL learner) with λ = <paramref name="consistencyWeight"/>.</summary>
    /// <exception cref="ArgumentException">The learner is not MMRL's.</exception>
    public MmrlObjective(PromptedClip model, double consistencyWeight)
    {
        _learner = model.Learner as MmrlLearner ?? throw new ArgumentException("MMRL's loss needs an MMRL learner", nameof(model));
        _model = model;
        ConsistencyWeight = consistencyWeight;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        _frozenText = ClipModel.Normalize(model.Clip.EncodeText(model.TokenIds)).MoveToOuterDisposeScope();
        _frozenText.DetachFromDisposeScope();
    }

    /// <summary>λ, the weight of each consistency term (the authors' REG_WEIGHT).</summary>
    public double ConsistencyWeight { get; }

    /// <summary>The loss of a batch of normalised images and their labels.</summary>
    public MmrlLoss Loss(Tensor images, Tensor labels)
    {
        Tensor frozenImage;
        using (no_grad())
            frozenImage = ClipModel.Normalize(_model.Clip.EncodeImage(images));
        var outputs = _model.Mmrl(images);
        var alpha = _learner.ClassTokenWeight;
        var classToken = nn.functional.cross_entropy(outputs.ClassTokenLogits, labels);
        var representation = nn.functional.cross_entropy(outputs.RepresentationLogits, labels);
        var image = 1 - nn.functional.cosine_similarity(outputs.ImageFeatures, frozenImage, 1).mean();
        var text = 1 - nn.functional.cosine_similarity(outputs.TextFeatures, _frozenText, 1).mean();
        var total = alpha * classToken + (1 - alpha) * representation + ConsistencyWeight * image + ConsistencyWeight * text;
        return new MmrlLoss(total, classToken, representation, image, text, outputs);
    }

    /// <inheritdoc />
    public void Dispose() => _frozenText.Dispose();
}
