using System.Diagnostics;
using Maple.Data;
using Maple.Imaging;
using Maple.Prompting;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Evaluation.Ood;

/// <summary>Progress of OOD scoring.</summary>
/// <param name="Set">The dataset being scored (its display name).</param>
/// <param name="Done">Images of that set scored so far.</param>
/// <param name="Total">Images in that set.</param>
/// <param name="ImagesPerSecond">Throughput on that set so far.</param>
public sealed record OodProgress(string Set, int Done, int Total, double ImagesPerSecond);

/// <summary>
/// Scores every image of a dataset for OOD detection against a prompted CLIP's classes (the ID classes).
/// Labels are ignored. Text features are computed once per dataset (per image for image-conditioned methods).
/// </summary>
public static class OodScorer
{
    /// <summary>
    /// One score per image of <paramref name="data"/>, in data order, higher = more in-distribution.
    /// </summary>
    /// <param name="model">The backbone, the prompts and the ID class names.</param>
    /// <param name="data">The images (labels unused).</param>
    /// <param name="options">The score and its settings.</param>
    /// <param name="name">The set's name, for progress reports.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="loaderThreads">Threads decoding images.</param>
    /// <param name="progress">Receives a report after each batch.</param>
    /// <param name="cancellation">Stops between batches.</param>
    public static double[] Score(PromptedClip model, ImageDataset data, OodScoreOptions options, string? name = null, int batchSize = 32,
        int loaderThreads = 1, IProgress<OodProgress>? progress = null, CancellationToken cancellation = default)
    {
        options.Validate();
        if (data.Items.Count == 0)
            throw new UserInputException($"{data.Source}: no images to score");
        if (batchSize < 1)
            throw new UserInputException($"the batch size must be at least 1 (got {batchSize})");
        name ??= data.Source;

        var scores = new double[data.Items.Count];
        var transform = new EvalTransform(model.Clip.Config.Vision.ImageSize, model.Clip.Normalization);

        using var _ = no_grad();
        using var textFeatures = model.Learner.ConditionsOnImage ? null : model.TextFeatures().DetachFromDisposeScope();
        using var loader = BatchLoader.InOrder(data.Items, batchSize, transform, loaderThreads);
        var clock = Stopwatch.StartNew();
        var done = 0;
        while (loader.Next() is { } batch)
        {
            using var images = batch.Images;
            using var batchLabels = batch.Labels;
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var (cosines, local) = model.Cosines(images, textFeatures, options.NeedsLocalFeatures);
            var batchScores = OodScoring.Compute(options, cosines, local, model.Clip.LogitScale);
            var values = batchScores.cpu().data<double>().ToArray();
            values.CopyTo(scores, done);
            done += values.Length;
            progress?.Report(new OodProgress(name, done, data.Items.Count, done / clock.Elapsed.TotalSeconds));
        }
        return scores;
    }
}
