using System.Diagnostics;
using Maple.Clip;
using Maple.Data;
using Maple.Imaging;
using Maple.Prompting;
using Maple.Tokenization;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Evaluation;

/// <summary>
/// CLIP features of images and texts, in batches: what <c>maple embed</c> writes and what zero-shot classification
/// is built on. Plain CLIP's by default; under learned prompts when <see cref="Prompts"/> is set. Results are fp32
/// on the CPU whatever the model's precision.
/// </summary>
public sealed class FeatureExtractor
{
    /// <summary>Uses the model and tokenizer of <paramref name="clip"/> (which stays the caller's to dispose).</summary>
    public FeatureExtractor(PretrainedClip clip) : this((clip ?? throw new ArgumentNullException(nameof(clip))).Model, clip.Tokenizer)
    {
    }

    /// <summary>Uses <paramref name="model"/> and <paramref name="tokenizer"/> (which stay the caller's to dispose).</summary>
    public FeatureExtractor(ClipModel model, ClipTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Model = model;
        Tokenizer = tokenizer;
        Transform = new EvalTransform(model.Config.Vision.ImageSize, model.Normalization);
    }

    /// <summary>The frozen CLIP.</summary>
    public ClipModel Model { get; }

    /// <summary>
    /// Learned prompts the features are computed under (the caller's to dispose), or null for plain CLIP: images
    /// through the prompts' vision branch, each text worded as a class name by the prompts (as they word their
    /// classes, e.g. MaPLe's learned context before it), so that a text's feature is the classifier's row for it.
    /// </summary>
    public PromptLearner? Prompts { get; init; }

    /// <summary>The tokenizer of the prompts.</summary>
    public ClipTokenizer Tokenizer { get; }

    /// <summary>The preprocessing of image files: the model's size and pixel normalisation.</summary>
    public EvalTransform Transform { get; }

    /// <summary>The width of the features.</summary>
    public int EmbedDim => Model.Config.EmbedDim;

    /// <summary>Image features [batch, embed] of already normalised pixels [batch, 3, size, size].</summary>
    /// <param name="pixels">Images as the evaluation transform gives them.</param>
    /// <param name="normalize">Whether to L2-normalise each row.</param>
    public Tensor ImageFeatures(Tensor pixels, bool normalize = false)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var features = Model.EncodeImage(pixels, Prompts?.VisionPrompts());
        return (normalize ? ClipModel.Normalize(features) : features.to(ScalarType.Float32)).MoveToOuterDisposeScope();
    }

    /// <summary>Image features [files, embed] of image files, decoded and transformed a batch at a time.</summary>
    /// <param name="imagePaths">The files, in the order of the rows.</param>
    /// <param name="normalize">Whether to L2-normalise each row.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="loaderThreads">Threads decoding images (ahead of the model, on a background thread).</param>
    /// <param name="progress">Told after every batch.</param>
    /// <param name="cancellation">Checked between batches.</param>
    /// <exception cref="ImageDecodeException">A file cannot be read or decoded (the message names it).</exception>
    public Tensor ImageFeatures(IReadOnlyList<string> imagePaths, bool normalize = false, int batchSize = 32, int loaderThreads = 1,
        IProgress<BatchProgress>? progress = null, CancellationToken cancellation = default)
    {
        var parts = new List<Tensor>();
        try
        {
            ForEachImageBatch(imagePaths, batchSize, loaderThreads, progress, cancellation,
                (_, pixels) => parts.Add(ImageFeatures(pixels, normalize).DetachFromDisposeScope()));
            return parts.Count == 0 ? zeros(0, EmbedDim, ScalarType.Float32, Model.Device) : cat(parts);
        }
        finally
        {
            foreach (var part in parts)
                part.Dispose();
        }
    }

    /// <summary>Text features [texts, embed] of prompts, tokenized and encoded a batch at a time.</summary>
    /// <param name="texts">The prompts, in the order of the rows.</param>
    /// <param name="normalize">Whether to L2-normalise each row.</param>
    /// <param name="batchSize">Prompts per forward pass.</param>
    /// <param name="progress">Told after every batch.</param>
    /// <param name="cancellation">Checked between batches.</param>
    /// <exception cref="PromptTooLongException">A prompt does not fit the text encoder's context.</exception>
    /// <exception cref="UserInputException">Under prompts that condition the text on each image (CoCoOp).</exception>
    public Tensor TextFeatures(IReadOnlyList<string> texts, bool normalize = false, int batchSize = 256,
        IProgress<BatchProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (Prompts is { ConditionsOnImage: true })
            throw new UserInputException($"{PromptMethods.Name(Prompts.Config.Method)} prompts condition the text on each image, so a text has no feature of its own under them");
        var parts = new List<Tensor>();
        try
        {
            using var _ = no_grad();
            var clock = Stopwatch.StartNew();
            for (var start = 0; start < texts.Count; start += batchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var chunk = texts.Skip(start).Take(batchSize).ToList();
                var features = Prompts is null ? Model.EncodeText(Tokenizer.Tokenize(chunk, Model.Config.Text.ContextLength)) : PromptedTextFeatures(chunk);
                parts.Add((normalize ? ClipModel.Normalize(features) : features.to(ScalarType.Float32)).DetachFromDisposeScope());
                var done = start + chunk.Count;
                progress?.Report(new BatchProgress(done, texts.Count, done / clock.Elapsed.TotalSeconds));
            }
            return parts.Count == 0 ? zeros(0, EmbedDim, ScalarType.Float32, Model.Device) : cat(parts);
        }
        finally
        {
            foreach (var part in parts)
                part.Dispose();
        }
    }

    Tensor PromptedTextFeatures(IReadOnlyList<string> texts)
    {
        using var prompted = new PromptedClip(Model, Prompts!, Tokenizer, texts);
        return prompted.TextFeatures();
    }

    /// <summary>
    /// Decodes the files a batch at a time (on a background thread, ahead of the consumer) and hands each batch
    /// [n, 3, size, size] with the index of its first file to <paramref name="body"/>, which must not keep it.
    /// </summary>
    internal void ForEachImageBatch(IReadOnlyList<string> imagePaths, int batchSize, int loaderThreads, IProgress<BatchProgress>? progress,
        CancellationToken cancellation, Action<int, Tensor> body) =>
        ForEachImageBatch(Transform, imagePaths, batchSize, loaderThreads, progress, cancellation, body);

    /// <summary>As the instance method, with <paramref name="transform"/> preparing the images.</summary>
    internal static void ForEachImageBatch(EvalTransform transform, IReadOnlyList<string> imagePaths, int batchSize, int loaderThreads,
        IProgress<BatchProgress>? progress, CancellationToken cancellation, Action<int, Tensor> body)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(loaderThreads, 1);
        if (imagePaths.Count == 0)
            return;
        var items = imagePaths.Select(p => new LabeledImage(p, 0)).ToList();
        using var loader = BatchLoader.InOrder(items, batchSize, transform, loaderThreads);
        var clock = Stopwatch.StartNew();
        var done = 0;
        while (loader.Next() is { } batch)
        {
            using (batch.Images)
            using (batch.Labels)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                body(done, batch.Images);
                done += (int)batch.Images.shape[0];
            }
            progress?.Report(new BatchProgress(done, items.Count, done / clock.Elapsed.TotalSeconds));
        }
    }
}
