namespace Maple.Data;

/// <summary>How far <see cref="DatasetInspector.Inspect"/> is.</summary>
/// <param name="Stage">What it is doing, e.g. "checking images".</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in this stage.</param>
public sealed record InspectProgress(string Stage, int Done, int Total);
