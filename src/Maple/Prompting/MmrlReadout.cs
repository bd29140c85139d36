namespace Maple.Prompting;

/// <summary>Which of MMRL's logits classify: the authors use fused logits for classes seen in training, class-token logits for others.</summary>
public enum MmrlReadout
{
    /// <summary>α·class-token logits + (1 − α)·representation logits: for the classes the prompts were trained on.</summary>
    Fused,

    /// <summary>The class token's logits alone (CLIP's frozen projection): for classes not seen in training.</summary>
    ClassToken,

    /// <summary>The representation features' logits alone.</summary>
    Representation,
}

/// <summary>The outputs of MMRL's forward pass over a batch of images.</summary>
/// <param name="ClassTokenLogits">100 × cos(class-token image features, text features) [batch, classes].</param>
/// <param name="RepresentationLogits">100 × cos(representation image features, text features) [batch, classes].</param>
/// <param name="FusedLogits">α·class-token + (1 − α)·representation logits.</param>
/// <param name="ImageFeatures">The class-token image features, L2-normalised [batch, embed].</param>
/// <param name="TextFeatures">The text features, L2-normalised [classes, embed].</param>
public sealed record MmrlOutputs(
    TorchSharp.torch.Tensor ClassTokenLogits, TorchSharp.torch.Tensor RepresentationLogits, TorchSharp.torch.Tensor FusedLogits,
    TorchSharp.torch.Tensor ImageFeatures, TorchSharp.torch.Tensor TextFeatures)
{
    /// <summary>The logits <paramref name="readout"/> names.</summary>
    public TorchSharp.torch.Tensor Select(MmrlReadout readout) => readout switch
    {
        MmrlReadout.ClassToken => ClassTokenLogits,
        MmrlReadout.Representation => RepresentationLogits,
        _ => FusedLogits,
    };

    /// <summary>
    /// The authors' rule when it is not known whether the classes are base or novel: fused logits when every class
    /// scored was among those trained on, class-token logits otherwise (their cross-dataset and novel-class choice).
    /// </summary>
    public static MmrlReadout ReadoutFor(IReadOnlyList<string>? trainedClasses, IReadOnlyList<string> scoredClasses)
    {
        if (trainedClasses is null)
            return MmrlReadout.ClassToken;
        var trained = trainedClasses.ToHashSet(StringComparer.Ordinal);
        return scoredClasses.All(trained.Contains) ? MmrlReadout.Fused : MmrlReadout.ClassToken;
    }
}
