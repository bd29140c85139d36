namespace Maple.Data;

/// <summary>What <see cref="DatasetInspector"/> found wrong.</summary>
public enum ProblemKind
{
    /// <summary>A split could not be read (missing or malformed split file, path outside the dataset folder, ...).</summary>
    LoadError,

    /// <summary>A listed image does not exist.</summary>
    MissingFile,

    /// <summary>An image exists but cannot be read as an image.</summary>
    UnreadableFile,

    /// <summary>A class has no images in a split.</summary>
    EmptyClass,

    /// <summary>The same image is listed more than once in a split.</summary>
    DuplicatePath,

    /// <summary>The same image is in two different splits (e.g. train and test).</summary>
    SharedBetweenSplits,

    /// <summary>Two or more files hold the same bytes (a copied image, perhaps in another class or split).</summary>
    SameContent,
}
