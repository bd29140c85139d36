namespace Maple.Training;

/// <summary>A training step's report, for progress bars and logs.</summary>
/// <param name="Epoch">Epoch (0-based).</param>
/// <param name="Step">Step within the epoch (0-based).</param>
/// <param name="StepsPerEpoch">Steps in an epoch.</param>
/// <param name="GlobalStep">Steps done in the whole run, this one included.</param>
/// <param name="TotalSteps">Steps in the whole run.</param>
/// <param name="LearningRate">The rate used for this step.</param>
/// <param name="Loss">Cross-entropy of this batch.</param>
/// <param name="Accuracy">Top-1 accuracy on this batch.</param>
/// <param name="ImagesPerSecond">Throughput of this step, loading included.</param>
/// <param name="Eta">Estimated time to the end of the run.</param>
public sealed record TrainingProgress(
    int Epoch, int Step, int StepsPerEpoch, int GlobalStep, int TotalSteps,
    double LearningRate, double Loss, double Accuracy, double ImagesPerSecond, TimeSpan Eta);
