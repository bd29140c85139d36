namespace Maple.Training;

/// <summary>The output folder already holds checkpoints of a run, and the caller did not ask to resume it.</summary>
public sealed class RunExistsException : UserInputException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="folder">The output folder.</param>
    /// <param name="checkpoint">Its latest checkpoint.</param>
    /// <param name="fix">The advice that ends the message.</param>
    public RunExistsException(string folder, string checkpoint, string fix = "resume it or choose another output folder")
        : base($"{folder} already holds a run ({checkpoint}); {fix}")
    {
        Folder = folder;
        Checkpoint = checkpoint;
    }

    /// <summary>The output folder.</summary>
    public string Folder { get; }

    /// <summary>Its latest checkpoint.</summary>
    public string Checkpoint { get; }

    /// <summary>The same error with other advice (a front end naming its own flag).</summary>
    public RunExistsException WithFix(string fix) => new(Folder, Checkpoint, fix);
}
