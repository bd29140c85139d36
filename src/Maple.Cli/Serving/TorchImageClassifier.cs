using Maple.Imaging;
using static TorchSharp.torch;

namespace Maple.Cli.Serving;

/// <summary>A CLIP with learned prompts (or zero-shot CLIP) run by Maple itself: the library's <see cref="ImageClassifier"/>.</summary>
sealed class TorchImageClassifier : IImageClassifier
{
    readonly ClipBackbone _clip;
    readonly ImageClassifier _classifier;

    /// <summary>Takes ownership of <paramref name="clip"/> and <paramref name="classifier"/>.</summary>
    public TorchImageClassifier(ClipBackbone clip, ImageClassifier classifier)
    {
        _clip = clip;
        _classifier = classifier;
        Description = $"{Prompting.PromptMethods.Name(classifier.Method)} on {clip.Source}";
    }

    public IReadOnlyList<string> ClassNames => _classifier.ClassNames;

    public EvalTransform Transform => _classifier.Transform;

    public string Description { get; }

    public float[] Logits(float[] pixels, int count)
    {
        using var scope = NewDisposeScope();
        var size = Transform.ImageSize;
        using var logits = _classifier.Logits(tensor(pixels, [count, 3, size, size]));
        return logits.cpu().contiguous().data<float>().ToArray();
    }

    public void Dispose()
    {
        _classifier.Dispose();
        _clip.Dispose();
    }
}
