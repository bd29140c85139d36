namespace Maple.Data;

/// <summary>One problem found in a dataset.</summary>
/// <param name="Kind">What kind of problem.</param>
/// <param name="Split">The split it is in (the first one, when several), or null.</param>
/// <param name="Path">The image concerned, or null.</param>
/// <param name="Message">A sentence that says what is wrong, naming the file or class.</param>
public sealed record DatasetProblem(ProblemKind Kind, string? Split, string? Path, string Message);
