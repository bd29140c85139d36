using Maple.Evaluation.Ood;
using Maple.Training;

namespace Maple.Evaluation.Protocols;

/// <summary>Hears what a benchmark is doing, for progress displays and logs.</summary>
public interface IBenchmarkObserver
{
    /// <summary>A cell starts (<paramref name="index"/> of <paramref name="total"/>); <paramref name="reused"/> when its result was already on disk.</summary>
    void CellStarted(CellKey cell, int index, int total, bool reused);

    /// <summary>A training step of the current cell.</summary>
    void Training(TrainingProgress progress);

    /// <summary>Evaluation progress of the current cell on <paramref name="subset"/>.</summary>
    void Evaluating(string subset, EvaluationProgress progress);

    /// <summary>OOD scoring progress of the current cell (the ID test set, then each OOD set).</summary>
    void Scoring(OodProgress progress);

    /// <summary>A cell finished.</summary>
    void CellFinished(CellResult result);
}
