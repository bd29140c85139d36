using Maple.Clip;
using Maple.Tokenization;
using static TorchSharp.torch;

namespace Maple.Prompting;

/// <summary>
/// A frozen CLIP, a prompt learner and a set of class names: the classifier that trains and evaluates, and the one
/// place zero-shot CLIP is computed. Text features depend only on the prompts and the class names (never the image,
/// except for CoCoOp), so they are computed once per step in training and once per evaluation.
/// </summary>
/// <remarks>
/// Zero-shot CLIP words each class with hand-written templates (e.g. a benchmark's own, from
/// <see cref="PromptTemplates.ForBenchmark"/>); with several, a class's text feature is the mean of its L2-normalised
/// prompt features, normalised again (CLIP's prompt ensembling, CoOp's <c>ZeroshotCLIP2</c>). Learned prompts word
/// the classes as they were trained (<see cref="PromptLearner.Template"/>).
/// </remarks>
public sealed class PromptedClip : IDisposable
{
    /// <summary>Prompts per forward pass of the text encoder when several templates are ensembled.</summary>
    public const int DefaultTextBatchSize = 256;

    readonly ClipTokenizer _tokenizer;

    /// <summary>Prepares the class prompts' tokens.</summary>
    /// <param name="clip">The frozen backbone.</param>
    /// <param name="learner">The learned prompts (or zero-shot CLIP's none).</param>
    /// <param name="tokenizer">The tokenizer of the prompts.</param>
    /// <param name="classNames">The classes; underscores become spaces in the prompts.</param>
    /// <param name="templates">
    /// Zero-shot CLIP: templates with <c>{}</c> for the class name, ensembled when several; MMRL, whose text is
    /// hand-written: one template (a benchmark's own, as its authors score each dataset); null for
    /// <see cref="PromptLearner.Template"/> ("a photo of a {}.").
    /// </param>
    /// <exception cref="UserInputException">No class; templates for a learner other than zero-shot CLIP or MMRL; no template, or one without <c>{}</c>.</exception>
    public PromptedClip(ClipModel clip, PromptLearner learner, ClipTokenizer tokenizer, IReadOnlyList<string> classNames, IReadOnlyList<string>? templates = null)
    {
        if (classNames.Count == 0)
            throw new UserInputException("the class list is empty");
        if (templates is not null)
        {
            if (learner.Config.Method == PromptMethod.Mmrl && templates.Count != 1)
                throw new UserInputException("MMRL words the classes with one hand-written template, not an ensemble");
            if (learner.Config.Method is not (PromptMethod.ZeroShot or PromptMethod.Mmrl))
                throw new UserInputException(
                    $"prompt templates are for zero-shot CLIP; {PromptMethods.Name(learner.Config.Method)} prompts word the classes as they were trained (\"{learner.Template}\")");
            if (templates.Count == 0)
                throw new UserInputException("no prompt template");
            foreach (var template in templates)
                PromptTemplates.Validate(template);
        }
        Clip = clip;
        Learner = learner;
        ClassNames = classNames;
        Templates = templates?.ToArray() ?? [learner.Template];
        _tokenizer = tokenizer;
        PromptTexts = Prompts(0);
        TokenIds = tokenizer.Tokenize(PromptTexts, clip.Config.Text.ContextLength).to(clip.Device, disposeAfter: true).DetachFromDisposeScope();
    }

    /// <summary>The frozen backbone.</summary>
    public ClipModel Clip { get; }

    /// <summary>The learned prompts.</summary>
    public PromptLearner Learner { get; }

    /// <summary>The tokenizer of the prompts.</summary>
    public ClipTokenizer Tokenizer => _tokenizer;

    /// <summary>The classes, label i = ClassNames[i].</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>How the prompts word a class: one template, or several that zero-shot CLIP ensembles.</summary>
    public IReadOnlyList<string> Templates { get; }

    /// <summary>The text prompt of each class (under the first template).</summary>
    public IReadOnlyList<string> PromptTexts { get; }

    /// <summary>The prompts' token ids [classes, context] (under the first template).</summary>
    public Tensor TokenIds { get; }

    /// <summary>MMRL only: which of its logits <see cref="Logits(Tensor)"/> returns (fused by default, as for trained classes).</summary>
    public MmrlReadout Readout { get; init; } = MmrlReadout.Fused;

    /// <summary>The prompt of each class under template <paramref name="template"/> (an index into <see cref="Templates"/>).</summary>
    public IReadOnlyList<string> Prompts(int template) => ClassNames.Select(c => PromptTemplates.Format(Templates[template], c)).ToList();

    /// <summary>
    /// Text features [classes, embed] under the current prompts: not normalised for one template; for an ensemble,
    /// <see cref="FixedTextFeatures"/> (normalised).
    /// </summary>
    public Tensor TextFeatures() => Templates.Count == 1
        ? Clip.EncodeText(TokenIds, Learner.TextPrompts())
        : FixedTextFeatures(DefaultTextBatchSize, null, CancellationToken.None);

    /// <summary>
    /// L2-normalised fp32 text features [classes, embed] of a classifier whose text is not learned (zero-shot CLIP):
    /// for each template, the prompts of every class encoded <paramref name="batchSize"/> at a time and normalised;
    /// their mean over the templates, normalised again.
    /// </summary>
    /// <param name="batchSize">Prompts per forward pass.</param>
    /// <param name="promptsDone">Told the number of prompts encoded so far (all templates together) after every batch.</param>
    /// <param name="cancellation">Checked between batches.</param>
    /// <param name="normalizeEachTemplate">
    /// Whether each template's features are normalised before the mean (CLIP's ensembling); PromptSRC averages the
    /// unnormalised features instead.
    /// </param>
    /// <exception cref="InvalidOperationException">The learner's text prompts are learned.</exception>
    public Tensor FixedTextFeatures(int batchSize, Action<int>? promptsDone, CancellationToken cancellation, bool normalizeEachTemplate = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (Learner.TextPrompts() is not null)
            throw new InvalidOperationException($"{PromptMethods.Name(Learner.Config.Method)} prompts learn their text: its features change with every step");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var classes = ClassNames.Count;
        Tensor? sum = null;
        for (var t = 0; t < Templates.Count; t++)
        {
            var prompts = Prompts(t);
            for (var start = 0; start < classes; start += batchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                using var batchScope = NewDisposeScope();
                var count = Math.Min(batchSize, classes - start);
                using var ids = _tokenizer.Tokenize(prompts.Skip(start).Take(count).ToList(), Clip.Config.Text.ContextLength);
                var encoded = Clip.EncodeText(ids);
                var features = normalizeEachTemplate ? ClipModel.Normalize(encoded) : encoded.to(ScalarType.Float32);
                if (sum is null)
                    sum = zeros([classes, features.shape[1]], ScalarType.Float32, features.device).MoveToOuterDisposeScope();
                // In place: with 80 templates and 1,000 classes the intermediates would add up.
                sum[start..(start + count)].add_(features);
                promptsDone?.Invoke(t * classes + start + count);
            }
        }
        return ClipModel.Normalize(sum! / Templates.Count).MoveToOuterDisposeScope();
    }

    /// <summary>Image features [batch, embed] (not normalised) under the current prompts.</summary>
    public Tensor ImageFeatures(Tensor pixels) => Clip.EncodeImage(pixels, Learner.VisionPrompts());

    /// <summary>Logits [batch, classes] of a batch of normalised images, computing the text features too.</summary>
    public Tensor Logits(Tensor pixels)
    {
        if (Learner is MmrlLearner)
            return MmrlLogits(pixels, null);
        if (Learner.ConditionsOnImage)
            return ImageConditionedLogits(pixels);
        using var scope = NewDisposeScope();
        return Clip.Logits(ImageFeatures(pixels), TextFeatures()).MoveToOuterDisposeScope();
    }

    /// <summary>Logits [batch, classes] against text features computed beforehand (evaluation).</summary>
    public Tensor Logits(Tensor pixels, Tensor textFeatures)
    {
        if (Learner is MmrlLearner)
            return MmrlLogits(pixels, textFeatures);
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

    /// <summary>
    /// MMRL's forward pass (<see cref="MmrlLearner"/>): the class-token and representation image features from one
    /// pass of the image encoder, scored against the text features (computed unless given, not normalised) with the
    /// fixed scale 100.
    /// </summary>
    /// <exception cref="InvalidOperationException">The learner is not MMRL's.</exception>
    public MmrlOutputs Mmrl(Tensor pixels, Tensor? textFeatures = null)
    {
        if (Learner is not MmrlLearner mmrl)
            throw new InvalidOperationException($"{PromptMethods.Name(Learner.Config.Method)} prompts have no representation features");
        using var scope = NewDisposeScope();
        var (global, promptTokens) = Clip.EncodeImageWithPromptTokens(pixels, mmrl.VisionPrompts());
        var image = ClipModel.Normalize(global);
        var representation = ClipModel.Normalize(mmrl.RepresentationFeatures(promptTokens));
        var text = ClipModel.Normalize(textFeatures ?? TextFeatures());
        var classToken = MmrlLearner.LogitScale * image.matmul(text.t());
        var representationLogits = MmrlLearner.LogitScale * representation.matmul(text.t());
        var fused = mmrl.ClassTokenWeight * classToken + (1 - mmrl.ClassTokenWeight) * representationLogits;
        return new MmrlOutputs(classToken.MoveToOuterDisposeScope(), representationLogits.MoveToOuterDisposeScope(), fused.MoveToOuterDisposeScope(),
            image.MoveToOuterDisposeScope(), text.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public void Dispose() => TokenIds.Dispose();

    Tensor MmrlLogits(Tensor pixels, Tensor? textFeatures)
    {
        using var scope = NewDisposeScope();
        if (Readout == MmrlReadout.ClassToken)
        {
            // The class token alone needs no representation features.
            var image = ClipModel.Normalize(ImageFeatures(pixels));
            var text = ClipModel.Normalize(textFeatures ?? TextFeatures());
            return (MmrlLearner.LogitScale * image.matmul(text.t())).MoveToOuterDisposeScope();
        }
        return Mmrl(pixels, textFeatures).Select(Readout).MoveToOuterDisposeScope();
    }

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
