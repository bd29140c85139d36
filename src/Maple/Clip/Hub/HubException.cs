namespace Maple.Clip.Hub;

/// <summary>A model could not be resolved; the message names the repository, the file and what went wrong.</summary>
public sealed class HubException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">What went wrong.</param>
    /// <param name="message">A message naming the repository, file and cause.</param>
    /// <param name="repoId">The repository concerned, if any.</param>
    /// <param name="fileName">The file concerned, if any.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public HubException(HubErrorKind kind, string message, string? repoId = null, string? fileName = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        RepoId = repoId;
        FileName = fileName;
    }

    /// <summary>What went wrong.</summary>
    public HubErrorKind Kind { get; }

    /// <summary>The repository concerned, e.g. <c>openai/clip-vit-base-patch16</c>, if any.</summary>
    public string? RepoId { get; }

    /// <summary>The file concerned, e.g. <c>model.safetensors</c>, if any.</summary>
    public string? FileName { get; }
}
