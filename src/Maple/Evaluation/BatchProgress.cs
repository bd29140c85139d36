namespace Maple.Evaluation;

/// <summary>Progress of work done in batches (images or prompts through an encoder).</summary>
/// <param name="Done">Items finished so far.</param>
/// <param name="Total">Items in all.</param>
/// <param name="ItemsPerSecond">Throughput so far.</param>
public sealed record BatchProgress(int Done, int Total, double ItemsPerSecond);
