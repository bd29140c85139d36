namespace Maple.Clip.Weights;

/// <summary>
/// Weights whose architecture cannot be determined: the shapes fix the sizes, but not the attention heads
/// nor the MLP activation, and no config says them. Maple refuses such files rather than guessing.
/// </summary>
public sealed class ArchitectureUnknownException : UserInputException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="weightsPath">The weights file.</param>
    /// <param name="message">One line naming the file and how to give its config.</param>
    public ArchitectureUnknownException(string weightsPath, string message)
        : base(message)
    {
        WeightsPath = weightsPath;
    }

    /// <summary>The weights file whose config is missing.</summary>
    public string WeightsPath { get; }
}
