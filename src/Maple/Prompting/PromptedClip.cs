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
            throw new UserInputException("the class list is empty");
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

    /// <summary>
    /// Cosine similarities of a batch of normalised images to every class: global [batch, classes] from the
    /// image features, and, when <paramref name="withLocal"/>, local [batch, patches, classes] from the
    /// patch features of <see cref="ClipModel.EncodeImageWithLocal"/>. <paramref name="textFeatures"/> (not
    /// normalised) may be computed beforehand; image-conditioned methods compute their own per image.
    /// </summary>
    public (Tensor Global, Tensor? Local) Cosines(Tensor pixels, Tensor? textFeatures = null, bool withLocal = false)
    {
        using var scope = NewDisposeScope();
        Tensor images;
        Tensor? patches = null;
        if (withLocal)
        {
            var (global, local) = Clip.EncodeImageWithLocal(pixels, Learner.VisionPrompts());
            (images, patches) = (ClipModel.Normalize(global), ClipModel.Normalize(local));
        }
        else
        {
            images = ClipModel.Normalize(ImageFeatures(pixels));
        }

        Tensor globalCosines;
        Tensor? localCosines = null;
        if (Learner.ConditionsOnImage)
        {
            var (rows, localRows) = (new List<Tensor>(), new List<Tensor>());
            for (var i = 0; i < images.shape[0]; i++)
            {
                var text = ClipModel.Normalize(Clip.EncodeText(TokenIds, Learner.TextPromptsFor(images[i])));
                rows.Add(text.matmul(images[i]));
                if (patches is not null)
                    localRows.Add(patches[i].matmul(text.t()));
            }
            globalCosines = stack(rows);
            if (patches is not null)
                localCosines = stack(localRows);
        }
        else
        {
            var text = ClipModel.Normalize(textFeatures ?? TextFeatures());
            globalCosines = images.matmul(text.t());
            if (patches is not null)
                localCosines = patches.matmul(text.t());
        }
        return (globalCosines.MoveToOuterDisposeScope(), localCosines?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Logits [batch, classes] (as <see cref="Logits(Tensor)"/>) and local logits [batch, patches, classes]:
    /// exp(logit_scale) × the cosines of <see cref="Cosines"/>.
    /// </summary>
    public (Tensor Logits, Tensor LocalLogits) LogitsWithLocal(Tensor pixels, Tensor? textFeatures = null)
    {
        using var scope = NewDisposeScope();
        var (global, local) = Cosines(pixels, textFeatures, withLocal: true);
        var logitScale = Clip.LogitScale.exp();
        return ((logitScale * global).MoveToOuterDisposeScope(), (logitScale * local!).MoveToOuterDisposeScope());
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
