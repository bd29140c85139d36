using Maple.Clip;
using Maple.Imaging;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Cli.Serving;

/// <summary>A CLIP with learned prompts (or zero-shot CLIP) run by Maple itself; text features are computed once.</summary>
sealed class TorchImageClassifier : IImageClassifier
{
    readonly PretrainedClip _clip;
    readonly PromptLearner _learner;
    readonly PromptedClip _prompted;
    readonly Tensor? _textFeatures;

    /// <summary>Takes ownership of <paramref name="clip"/> and <paramref name="learner"/>.</summary>
    public TorchImageClassifier(PretrainedClip clip, PromptLearner learner, IReadOnlyList<string> classNames, IReadOnlyList<string>? templates = null)
    {
        _clip = clip;
        _learner = learner;
        _prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, classNames, templates);
        using (no_grad())
            _textFeatures = learner.ConditionsOnImage ? null : _prompted.TextFeatures().DetachFromDisposeScope();
        Transform = new EvalTransform(clip.Model.Config.Vision.ImageSize, clip.Model.Normalization);
        Description = $"{PromptMethods.Name(learner.Config.Method)} on {clip.Source}";
    }

    public IReadOnlyList<string> ClassNames => _prompted.ClassNames;

    public EvalTransform Transform { get; }

    public string Description { get; }

    public float[] Logits(float[] pixels, int count)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var size = Transform.ImageSize;
        var images = tensor(pixels, [count, 3, size, size]);
        var logits = _textFeatures is null ? _prompted.Logits(images) : _prompted.Logits(images, _textFeatures);
        return logits.contiguous().data<float>().ToArray();
    }

    public void Dispose()
    {
        _textFeatures?.Dispose();
        _prompted.Dispose();
        _learner.Dispose();
        _clip.Dispose();
    }
}
