namespace Maple.Demo;

/// <summary>A pretraining step's report.</summary>
/// <param name="Step">Steps done, this one included.</param>
/// <param name="TotalSteps">Steps in the run.</param>
/// <param name="Loss">Symmetric InfoNCE of this batch.</param>
/// <param name="Accuracy">Share of images whose own caption scored highest in the batch.</param>
/// <param name="LogitScale">exp(logit_scale), the inverse temperature.</param>
/// <param name="Eta">Estimated time to the end.</param>
public sealed record PretrainingProgress(int Step, int TotalSteps, double Loss, double Accuracy, double LogitScale, TimeSpan Eta);
