namespace Maple.Clip.Hub;

/// <summary>
/// One repository's folder in the hub cache, laid out as huggingface_hub lays it out so either tool can use
/// what the other downloaded: <c>models--org--name/refs/&lt;revision&gt;</c> holds a commit hash,
/// <c>snapshots/&lt;commit&gt;/&lt;file&gt;</c> are relative symlinks to <c>blobs/&lt;etag&gt;</c>, and
/// <c>.no_exist/&lt;commit&gt;/&lt;file&gt;</c> records files the hub said are absent.
/// </summary>
sealed class HubCache
{
    public HubCache(string cacheDirectory, string repoId)
    {
        RepoId = repoId;
        FolderName = "models--" + repoId.Replace("/", "--", StringComparison.Ordinal);
        RepoFolder = Path.Combine(cacheDirectory, FolderName);
        LocksFolder = Path.Combine(cacheDirectory, ".locks", FolderName);
    }

    public string RepoId { get; }

    public string FolderName { get; }

    public string RepoFolder { get; }

    string LocksFolder { get; }

    public string BlobPath(string etag) => Path.Combine(RepoFolder, "blobs", etag);

    public string IncompletePath(string etag) => BlobPath(etag) + ".incomplete";

    public string LockPath(string etag) => Path.Combine(LocksFolder, etag + ".lock");

    public string SnapshotFolder(string commit) => Path.Combine(RepoFolder, "snapshots", commit);

    public string SnapshotFile(string commit, string file) => Path.Combine(SnapshotFolder(commit), file);

    string RefPath(string revision) => Path.Combine(RepoFolder, "refs", revision);

    string NoExistPath(string commit, string file) => Path.Combine(RepoFolder, ".no_exist", commit, file);

    /// <summary>The commit a revision points to in the cache, or null when the cache does not know it.</summary>
    public string? ResolveRevision(string revision)
    {
        if (RepoIds.IsCommitHash(revision))
            return Directory.Exists(SnapshotFolder(revision)) ? revision : null;
        var path = RefPath(revision);
        if (!File.Exists(path))
            return null;
        var commit = File.ReadAllText(path).Trim();
        return RepoIds.IsCommitHash(commit) ? commit : null;
    }

    /// <summary>Records the commit a branch or tag points to; a commit hash needs no ref.</summary>
    public void WriteRef(string revision, string commit)
    {
        if (RepoIds.IsCommitHash(revision) || ResolveRevision(revision) == commit)
            return;
        var path = RefPath(revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Readers (another process, Python) must never see a half-written hash.
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, commit);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Whether the snapshot has the file; a dangling symlink (blob deleted) counts as absent.</summary>
    public bool HasFile(string commit, string file) => File.Exists(SnapshotFile(commit, file));

    public bool IsMarkedAbsent(string commit, string file) => File.Exists(NoExistPath(commit, file));

    public void MarkAbsent(string commit, string file)
    {
        var path = NoExistPath(commit, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
    }

    /// <summary>Points the snapshot's entry for a file at its blob with a relative symlink, as huggingface_hub does.</summary>
    public void LinkSnapshotFile(string commit, string file, string etag)
    {
        var pointer = SnapshotFile(commit, file);
        var folder = Path.GetDirectoryName(pointer)!;
        Directory.CreateDirectory(folder);
        var blob = BlobPath(etag);
        // Made aside and renamed over the entry, so a concurrent resolver never sees it missing or half made.
        var temp = Path.Combine(folder, $".{Path.GetFileName(pointer)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.CreateSymbolicLink(temp, Path.GetRelativePath(folder, blob));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // Where symlinks are not allowed (Windows without developer mode) huggingface_hub moves the blob into the
            // snapshot instead; the cost is a new download if another revision needs the same blob.
            File.Move(blob, pointer, overwrite: true);
            return;
        }
        File.Move(temp, pointer, overwrite: true);
    }
}
