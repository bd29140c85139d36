namespace Maple.Demo;

/// <summary>Progress of a demo stage, for progress bars.</summary>
/// <param name="Stage">The stage ("pretraining", "CoOp", ...); a new name starts a new bar.</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in the stage.</param>
/// <param name="Message">What is happening, with the latest figures.</param>
public sealed record DemoProgress(string Stage, double Done, double Total, string Message);
