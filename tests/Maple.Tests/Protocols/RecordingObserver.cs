using Maple.Evaluation;
using Maple.Evaluation.Ood;
using Maple.Evaluation.Protocols;
using Maple.Training;

namespace Maple.Tests.Protocols;

/// <summary>Records what a benchmark reports, and can act on each training step (e.g. cancel a run).</summary>
sealed class RecordingObserver(Action<RecordingObserver, TrainingProgress>? onTraining = null) : IBenchmarkObserver
{
    public List<(CellKey Cell, bool Reused)> Started { get; } = [];

    public List<(CellKey Cell, TrainingProgress Progress)> Steps { get; } = [];

    public List<CellResult> Finished { get; } = [];

    public int Evaluations { get; private set; }

    public int Scorings { get; private set; }

    public CellKey? Current => Started.Count == 0 ? null : Started[^1].Cell;

    public void CellStarted(CellKey cell, int index, int total, bool reused) => Started.Add((cell, reused));

    public void Training(TrainingProgress progress)
    {
        Steps.Add((Current!, progress));
        onTraining?.Invoke(this, progress);
    }

    public void Evaluating(string subset, EvaluationProgress progress) => Evaluations++;

    public void Scoring(OodProgress progress) => Scorings++;

    public void CellFinished(CellResult result) => Finished.Add(result);
}
