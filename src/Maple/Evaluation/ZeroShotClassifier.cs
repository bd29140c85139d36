using System.Diagnostics;
using Maple.Clip;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Evaluation;

/// <summary>
/// Zero-shot CLIP over image files: each class is described by hand-written prompts, and an image goes to the class
/// whose text features are closest, with its probabilities and top classes. The text features are those of
/// <see cref="PromptedClip"/> (with several templates, CLIP's prompt ensembling), computed once, here.
/// </summary>
public sealed class ZeroShotClassifier : IDisposable
{
    readonly PromptLearner _learner;
    readonly PromptedClip _prompted;
    readonly Tensor _textFeatures;

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
        if (classNames.Any(string.IsNullOrWhiteSpace))
            throw new UserInputException("a class name is blank");

        Features = features;
        ClassNames = classNames.ToArray();
        _learner = PromptLearners.Create(PromptConfig.ZeroShot(), features.Model, features.Tokenizer, seed: 0);
        try
        {
            _prompted = new PromptedClip(features.Model, _learner, features.Tokenizer, ClassNames, templates ?? [PromptTemplates.Default]);
            var total = ClassNames.Count * _prompted.Templates.Count;
            var clock = Stopwatch.StartNew();
            _textFeatures = _prompted.FixedTextFeatures(textBatchSize,
                progress is null ? null : done => progress.Report(new BatchProgress(done, total, done / clock.Elapsed.TotalSeconds)), cancellation)
                .DetachFromDisposeScope();
        }
        catch
        {
            _prompted?.Dispose();
            _learner.Dispose();
            throw;
        }
    }

    /// <summary>The encoders.</summary>
    public FeatureExtractor Features { get; }

    /// <summary>The frozen CLIP.</summary>
    public ClipModel Model => Features.Model;

    /// <summary>The classes, as given: class i is <c>ClassNames[i]</c>.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The prompt templates.</summary>
    public IReadOnlyList<string> Templates => _prompted.Templates;

    /// <summary>The classifier's weights: one L2-normalised row [classes, embed] per class, fp32. Owned by this object.</summary>
    public Tensor TextFeatures => _textFeatures;

    /// <summary>The prompt of each class under template <paramref name="template"/> (an index into <see cref="Templates"/>).</summary>
    public IReadOnlyList<string> Prompts(int template) => _prompted.Prompts(template);

    /// <summary>The token ids [classes, context] of the prompts under template <paramref name="template"/>; the caller disposes them.</summary>
    public Tensor TokenIds(int template) => Features.Tokenizer.Tokenize(Prompts(template), Model.Config.Text.ContextLength);

    /// <summary>Image features [batch, embed] (not normalised) of already normalised pixels [batch, 3, size, size].</summary>
    public Tensor ImageFeatures(Tensor pixels) => Features.ImageFeatures(pixels);

    /// <summary>Logits [batch, classes], exp(logit_scale) × cosine, of already normalised pixels [batch, 3, size, size].</summary>
    public Tensor Logits(Tensor pixels)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var images = ClipModel.Normalize(Features.ImageFeatures(pixels));
        return (Model.LogitScale.exp().to(ScalarType.Float32) * images.matmul(_textFeatures.t())).MoveToOuterDisposeScope();
    }

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
        IProgress<BatchProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var results = new List<ZeroShotPrediction>(imagePaths.Count);
        Features.ForEachImageBatch(imagePaths, batchSize, loaderThreads, progress, cancellation, (start, pixels) =>
        {
            var logits = Logits(pixels);
            var paths = Enumerable.Range(start, (int)pixels.shape[0]).Select(i => imagePaths[i]).ToList();
            results.AddRange(ZeroShotPrediction.FromLogits(logits, paths, ClassNames, top));
        });
        return results;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _textFeatures.Dispose();
        _prompted.Dispose();
        _learner.Dispose();
    }
}
