using Maple.Clip;
using Maple.Tokenization;
using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>
/// A frozen CLIP, a prompt learner and a set of class names: the classifier that trains and evaluates.
/// Text features depend only on the prompts and the class names (never the image, except for CoCoOp),
/// so they are computed once per step in training and once per evaluation.
/// </summary>
public sealed class PromptedClip : IDisposable
{
    /// <summary>Prepares the class prompts' tokens.</summary>
    public PromptedClip(ClipModel clip, PromptLearner learner, ClipTokenizer tokenizer, IReadOnlyList<string> classNames)
    {
        if (classNames.Count == 0)
            throw new ArgumentException("the class list is empty", nameof(classNames));
        Clip = clip;
        Learner = learner;
        ClassNames = classNames;
        PromptTexts = learner.PromptTexts(classNames);
        TokenIds = tokenizer.Tokenize(PromptTexts, clip.Config.Text.ContextLength).DetachFromDisposeScope();
    }

    /// <summary>The frozen backbone.</summary>
    public ClipModel Clip { get; }

    /// <summary>The learned prompts.</summary>
    public PromptLearner Learner { get; }

    /// <summary>The classes, label i = ClassNames[i].</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The text prompt of each class.</summary>
    public IReadOnlyList<string> PromptTexts { get; }

    /// <summary>The prompts' token ids [classes, context].</summary>
    public Tensor TokenIds { get; }

    /// <summary>Text features [classes, embed] (not normalised) under the current prompts.</summary>
    public Tensor TextFeatures() => Clip.EncodeText(TokenIds, Learner.TextPrompts());

    /// <summary>Image features [batch, embed] (not normalised) under the current prompts.</summary>
    public Tensor ImageFeatures(Tensor pixels) => Clip.EncodeImage(pixels, Learner.VisionPrompts());

    /// <summary>Logits [batch, classes] of a batch of normalised images, computing the text features too.</summary>
    public Tensor Logits(Tensor pixels)
    {
        if (Learner.ConditionsOnImage)
            return ImageConditionedLogits(pixels);
        using var scope = NewDisposeScope();
        return Clip.Logits(ImageFeatures(pixels), TextFeatures()).MoveToOuterDisposeScope();
    }

    /// <summary>Logits [batch, classes] against text features computed beforehand (evaluation).</summary>
    public Tensor Logits(Tensor pixels, Tensor textFeatures)
    {
        if (Learner.ConditionsOnImage)
            return ImageConditionedLogits(pixels);
        using var scope = NewDisposeScope();
        return Clip.Logits(ImageFeatures(pixels), textFeatures).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose() => TokenIds.Dispose();

    Tensor ImageConditionedLogits(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var images = ClipModel.Normalize(ImageFeatures(pixels));
        var rows = new List<Tensor>();
        for (var i = 0; i < images.shape[0]; i++)
        {
            var text = ClipModel.Normalize(Clip.EncodeText(TokenIds, Learner.TextPromptsFor(images[i])));
            rows.Add(text.matmul(images[i]));
        }
        return (Clip.LogitScale.exp() * stack(rows)).MoveToOuterDisposeScope();
    }
}
