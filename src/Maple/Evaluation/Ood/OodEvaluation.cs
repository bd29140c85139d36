using Maple.Clip;
using Maple.Data;
using Maple.Prompting;
using Maple.Tokenization;

namespace Maple.Evaluation.Ood;

/// <summary>The scores and metrics of one OOD set against the ID set.</summary>
/// <param name="Name">The set's short name.</param>
/// <param name="Source">Where its images came from.</param>
/// <param name="Scores">One score per image, in data order.</param>
/// <param name="Metrics">AUROC, AUPR and FPR95 against the ID scores.</param>
/// <param name="Curve">The ROC curve the metrics were read from.</param>
public sealed record OodSetResult(string Name, string Source, double[] Scores, OodMetrics Metrics, RocCurve Curve);

/// <summary>An OOD evaluation: the ID scores, each OOD set's scores and metrics, and their average.</summary>
/// <param name="Options">The score that was computed.</param>
/// <param name="IdSource">Where the ID images came from.</param>
/// <param name="IdClassNames">The ID classes the images were matched against.</param>
/// <param name="IdScores">One score per ID image, in data order.</param>
/// <param name="Sets">Each OOD set, in the order given.</param>
public sealed record OodEvaluationResult(OodScoreOptions Options, string IdSource, IReadOnlyList<string> IdClassNames, double[] IdScores,
    IReadOnlyList<OodSetResult> Sets)
{
    /// <summary>The mean of each metric over the OOD sets.</summary>
    public OodMetrics Average => OodMetrics.Average(Sets.Select(s => s.Metrics).ToList());
}

/// <summary>
/// Scores one combination of backbone, prompts, ID set and OOD sets, and returns the metrics table: the
/// library entry point of <c>maple ood</c> and of OOD benchmarks.
/// </summary>
public static class OodEvaluation
{
    /// <summary>
    /// Scores <paramref name="id"/> once and every set of <paramref name="ood"/>, and computes each OOD
    /// set's metrics against the ID scores. <paramref name="model"/>'s class names are the ID classes.
    /// </summary>
    public static OodEvaluationResult Run(PromptedClip model, ImageDataset id, IReadOnlyList<NamedDataset> ood, OodScoreOptions options,
        int batchSize = 32, int loaderThreads = 1, IProgress<OodProgress>? progress = null, CancellationToken cancellation = default)
    {
        options.Validate();
        if (ood.Count == 0)
            throw new UserInputException("no OOD sets given");
        if (model.ClassNames.Count < 2 && options.Score is OodScore.Mcm or OodScore.GlMcm)
            throw new UserInputException(
                $"{OodScores.Name(options.Score)} needs at least 2 ID classes (a softmax over one class is always 1); {id.Source} has {model.ClassNames.Count} (name them in a class-name file, one per line)");
        var idScores = OodScorer.Score(model, id, options, "ID", batchSize, loaderThreads, progress, cancellation);
        var sets = new List<OodSetResult>();
        foreach (var set in ood)
        {
            var scores = OodScorer.Score(model, set.Data, options, set.Name, batchSize, loaderThreads, progress, cancellation);
            var curve = RocCurve.Compute(idScores, scores);
            sets.Add(new OodSetResult(set.Name, set.Data.Source, scores, OodMetrics.Compute(curve), curve));
        }
        return new OodEvaluationResult(options, id.Source, model.ClassNames, idScores, sets);
    }

    /// <summary>
    /// As <see cref="Run(PromptedClip, ImageDataset, IReadOnlyList{NamedDataset}, OodScoreOptions, int, int, IProgress{OodProgress}?, CancellationToken)"/>,
    /// with the ID classes taken from <paramref name="id"/>'s class names.
    /// </summary>
    public static OodEvaluationResult Run(ClipModel clip, PromptLearner learner, ClipTokenizer tokenizer, ImageDataset id, IReadOnlyList<NamedDataset> ood,
        OodScoreOptions options, int batchSize = 32, int loaderThreads = 1, IProgress<OodProgress>? progress = null, CancellationToken cancellation = default)
    {
        using var model = new PromptedClip(clip, learner, tokenizer, id.ClassNames);
        return Run(model, id, ood, options, batchSize, loaderThreads, progress, cancellation);
    }
}
