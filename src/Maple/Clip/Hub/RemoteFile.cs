namespace Maple.Clip.Hub;

/// <summary>What the hub said about one file of a repository at a revision.</summary>
/// <param name="Name">The file within the repository.</param>
/// <param name="Exists">False when the hub answered that the file is not in the repository.</param>
/// <param name="Commit">The commit the revision resolved to (<c>X-Repo-Commit</c>), when sent.</param>
/// <param name="Etag">The blob's id (<c>X-Linked-Etag</c>, else <c>ETag</c>); the sha256 of the content for LFS files.</param>
/// <param name="Size">The content's size (<c>X-Linked-Size</c>, else <c>Content-Length</c>), when sent.</param>
/// <param name="DownloadUri">Where to fetch the content: the resolve URL, or the CDN it redirects to.</param>
sealed record RemoteFile(string Name, bool Exists, string? Commit, string? Etag, long? Size, Uri? DownloadUri)
{
    /// <summary>Whether the ETag is a sha256 of the content (64 hex digits, as LFS files have), so it can be checked.</summary>
    public bool EtagIsSha256 => Etag is { Length: 64 } etag && etag.All(char.IsAsciiHexDigit);
}
