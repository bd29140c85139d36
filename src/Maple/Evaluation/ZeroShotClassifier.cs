using System.Diagnostics;
using Maple.Clip;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Evaluation;

/// <summary>
/// Zero-shot CLIP over image files: each class is described by hand-written prompts, and an image goes to the class
/// whose text features are closest, with its probabilities and top classes. An <see cref="ImageClassifier"/> without
/// learned prompts, with the prompts' tokens and progress while the (possibly many) templates are encoded.
/// </summary>
public sealed class ZeroShotClassifier : IDisposable
{
    readonly ImageClassifier _classifier;

    /// <summary>Encodes the prompts of every class with the model and tokenizer of <paramref name="clip"/>.</summary>
    /// <param name="clip">The model (stays the caller's to dispose, and must outlive this classifier).</param>
    /// <param name="classNames">The classes; underscores become spaces in the prompts.</param>
    /// <param name="templates">Templates with <c>{}</c> for the class name; <see cref="PromptTemplates.Default"/> when null.</param>
    /// <param name="textBatchSize">Prompts per forward pass of the text encoder.</param>
    /// <param name="progress">Told after every batch of prompts (all templates together).</param>
    /// <param name="cancellation">Checked between batches.</param>
    public ZeroShotClassifier(PretrainedClip clip, IReadOnlyList<string> classNames, IReadOnlyList<string>? templates = null,
        int textBatchSize = PromptedClip.DefaultTextBatchSize, IProgress<BatchProgress>? progress = null, CancellationToken cancellation = default)
        : this(new FeatureExtractor(clip), classNames, templates, textBatchSize, progress, cancellation)
    {
    }

    /// <summary>Encodes the prompts of every class with <paramref name="features"/>.</summary>
    /// <param name="features">The encoders (their model must outlive this classifier).</param>
    /// <param name="classNames">The classes; underscores become spaces in the prompts.</param>
    /// <param name="templates">Templates with <c>{}</c> for the class name; <see cref="PromptTemplates.Default"/> when null.</param>
    /// <param name="textBatchSize">Prompts per forward pass of the text encoder.</param>
    /// <param name="progress">Told after every batch of prompts (all templates together).</param>
    /// <param name="cancellation">Checked between batches.</param>
    /// <exception cref="UserInputException">No class, a blank class name, no template, or a template without <c>{}</c>.</exception>
    public ZeroShotClassifier(FeatureExtractor features, IReadOnlyList<string> classNames, IReadOnlyList<string>? templates = null,
        int textBatchSize = PromptedClip.DefaultTextBatchSize, IProgress<BatchProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(classNames);
        Features = features;
        templates ??= [PromptTemplates.Default];
        var total = classNames.Count * templates.Count;
        var clock = Stopwatch.StartNew();
        _classifier = new ImageClassifier(features, PromptLearners.Create(PromptConfig.ZeroShot(), features.Model, features.Tokenizer, seed: 0),
            classNames, templates, textBatchSize,
            progress is null ? null : done => progress.Report(new BatchProgress(done, total, done / clock.Elapsed.TotalSeconds)), cancellation);
    }

    /// <summary>The encoders.</summary>
    public FeatureExtractor Features { get; }

    /// <summary>The frozen CLIP.</summary>
    public ClipModel Model => Features.Model;

    /// <summary>The classes, as given: class i is <c>ClassNames[i]</c>.</summary>
    public IReadOnlyList<string> ClassNames => _classifier.ClassNames;

    /// <summary>The prompt templates.</summary>
    public IReadOnlyList<string> Templates => _classifier.Prompted.Templates;

    /// <summary>The classifier's weights: one L2-normalised row [classes, embed] per class, fp32. Owned by this object.</summary>
    public Tensor TextFeatures => _classifier.TextFeatures!;

    /// <summary>The prompt of each class under template <paramref name="template"/> (an index into <see cref="Templates"/>).</summary>
    public IReadOnlyList<string> Prompts(int template) => _classifier.Prompted.Prompts(template);

    /// <summary>The token ids [classes, context] of the prompts under template <paramref name="template"/>; the caller disposes them.</summary>
    public Tensor TokenIds(int template) => Features.Tokenizer.Tokenize(Prompts(template), Model.Config.Text.ContextLength);

    /// <summary>Image features [batch, embed] (not normalised) of already normalised pixels [batch, 3, size, size].</summary>
    public Tensor ImageFeatures(Tensor pixels) => Features.ImageFeatures(pixels);

    /// <summary>Logits [batch, classes], exp(logit_scale) × cosine, of already normalised pixels [batch, 3, size, size].</summary>
    public Tensor Logits(Tensor pixels) => _classifier.Logits(pixels);

    /// <summary>Classifies already normalised pixels [batch, 3, size, size]; the predictions have no path.</summary>
    /// <param name="pixels">The images.</param>
    /// <param name="top">How many classes to list per image (at most all of them).</param>
    public IReadOnlyList<ZeroShotPrediction> Classify(Tensor pixels, int top = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        using var scope = NewDisposeScope();
        return ZeroShotPrediction.FromLogits(Logits(pixels), null, ClassNames, top);
    }

    /// <summary>Classifies image files, decoded and transformed a batch at a time, in the order given.</summary>
    /// <param name="imagePaths">The files.</param>
    /// <param name="top">How many classes to list per image (at most all of them).</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="loaderThreads">Threads decoding images.</param>
    /// <param name="progress">Told after every batch.</param>
    /// <param name="cancellation">Checked between batches.</param>
    /// <exception cref="Imaging.ImageDecodeException">A file cannot be read or decoded (the message names it).</exception>
    public IReadOnlyList<ZeroShotPrediction> Classify(IReadOnlyList<string> imagePaths, int top = 5, int batchSize = 32, int loaderThreads = 1,
        IProgress<BatchProgress>? progress = null, CancellationToken cancellation = default) =>
        _classifier.Predict(imagePaths, top, batchSize, loaderThreads, progress, cancellation);

    /// <inheritdoc />
    public void Dispose() => _classifier.Dispose();
}
