using System.Text.RegularExpressions;

namespace Maple.Clip.Hub;

/// <summary>Tells repository ids, revisions and local paths apart, by huggingface_hub's rules.</summary>
static partial class RepoIds
{
    /// <summary>Whether <paramref name="value"/> is a hub repository id: <c>name</c> or <c>org/name</c>.</summary>
    public static bool IsValid(string value) =>
        value.Length <= 96
        && RepoIdPattern().IsMatch(value)
        && !value.Contains("--", StringComparison.Ordinal)
        && !value.Contains("..", StringComparison.Ordinal)
        && !value.EndsWith(".git", StringComparison.Ordinal);

    /// <summary>Whether the argument can only mean a path (so a missing folder must not fall through to the hub).</summary>
    public static bool LooksLikePath(string value) =>
        Path.IsPathRooted(value)
        || value.StartsWith('.') || value.StartsWith('~')
        || value.Contains('\\') || value.Count(c => c == '/') > 1;

    /// <summary>Whether a revision is safe to use as a path below <c>refs/</c> (branches may contain slashes).</summary>
    public static bool IsSafeRevision(string revision) =>
        revision.Length > 0
        && !revision.StartsWith('/')
        && !revision.Contains('\\')
        && revision.Split('/').All(part => part.Length > 0 && part != "." && part != "..");

    /// <summary>Whether a revision is a full commit hash, which names a snapshot directly.</summary>
    public static bool IsCommitHash(string revision) => CommitPattern().IsMatch(revision);

    [GeneratedRegex("^([A-Za-z0-9_.-]+/)?[A-Za-z0-9_.-]+$")]
    private static partial Regex RepoIdPattern();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
