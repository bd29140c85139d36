namespace Maple.Clip.Hub;

/// <summary>
/// Turns a <c>--model</c> argument into a local folder: an existing folder is used as it is; a hub id such as
/// <c>openai/clip-vit-base-patch16</c> is looked up in the Hugging Face cache (so a model Python already fetched is
/// reused) and the missing files are downloaded into that same cache.
/// </summary>
public sealed class ModelResolver
{
    static readonly Lazy<HttpClient> SharedHttp = new(() => new HttpClient(new SocketsHttpHandler
    {
        // Redirects are followed by hand: the hub's redirect to its CDN carries the file's hash and size.
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(30),
    })
    {
        // Large files take long; stalls are caught per read instead.
        Timeout = Timeout.InfiniteTimeSpan,
    });

    readonly HubOptions options;
    readonly HttpClient http;

    /// <summary>Creates a resolver.</summary>
    /// <param name="options">Endpoint, cache, token, offline mode and revision; see <see cref="HubOptions.FromEnvironment()"/>.</param>
    /// <param name="http">
    /// The client to use, or null for a shared one. A client given here must not follow redirects by itself
    /// (build it on a handler with <c>AllowAutoRedirect = false</c>) and should have an infinite <c>Timeout</c>.
    /// </param>
    public ModelResolver(HubOptions options, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new UserInputException($"The hub endpoint '{options.Endpoint}' is not an http(s) address.");
        this.options = options;
        this.http = http ?? SharedHttp.Value;
    }

    /// <summary>How often a broken-off transfer is resumed within one <see cref="ResolveAsync"/> before it fails.</summary>
    public int DownloadRetries { get; init; } = 3;

    /// <summary>The pause before the first resume; later ones wait proportionally longer.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Resolves a model argument to a local folder holding <c>config.json</c>, <c>model.safetensors</c>,
    /// <c>vocab.json</c>, <c>merges.txt</c> and whichever optional files the repository has.
    /// </summary>
    /// <param name="modelIdOrPath">An existing folder, or a hub repository id (<c>org/name</c>).</param>
    /// <param name="progress">Receives download progress per file; nothing is reported on a cache hit.</param>
    /// <param name="ct">Cancels the resolution; a partial download is kept for the next attempt.</param>
    /// <returns>The full path of the given folder, or of the cache snapshot <c>snapshots/&lt;commit&gt;</c>.</returns>
    /// <exception cref="HubException">The model cannot be found, reached, downloaded or verified.</exception>
    public async Task<string> ResolveAsync(string modelIdOrPath, IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelIdOrPath);
        if (Directory.Exists(modelIdOrPath))
            return Path.GetFullPath(modelIdOrPath);
        if (RepoIds.LooksLikePath(modelIdOrPath))
            throw new HubException(HubErrorKind.InvalidModel, $"Model folder '{modelIdOrPath}' does not exist.");
        if (!RepoIds.IsValid(modelIdOrPath))
            throw new HubException(HubErrorKind.InvalidModel,
                $"'{modelIdOrPath}' is neither an existing folder nor a Hugging Face model id such as openai/clip-vit-base-patch16.");
        var repoId = modelIdOrPath;
        var revision = options.Revision;
        if (!RepoIds.IsSafeRevision(revision))
            throw new HubException(HubErrorKind.InvalidModel, $"'{revision}' is not a valid revision of {repoId}.", repoId);

        var cache = new HubCache(options.CacheDirectory, repoId);
        var commit = cache.ResolveRevision(revision);
        if (commit is not null)
        {
            var missing = ClipModelFiles.Required.Where(f => !cache.HasFile(commit, f)).ToList();
            var unknown = ClipModelFiles.Optional.Where(f => !cache.HasFile(commit, f) && !cache.IsMarkedAbsent(commit, f)).ToList();
            if (missing.Count == 0 && (unknown.Count == 0 || options.Offline))
                return Path.GetFullPath(cache.SnapshotFolder(commit));
            if (options.Offline)
                throw new HubException(HubErrorKind.Offline,
                    $"HF_HUB_OFFLINE is set, so nothing is downloaded, and {repoId} is only partly cached in "
                    + $"{cache.SnapshotFolder(commit)}: {string.Join(", ", missing)} missing.", repoId, missing[0]);
            if (missing.Count == 0)
            {
                await FetchOptionalAsync(cache, commit, unknown, progress, ct).ConfigureAwait(false);
                return Path.GetFullPath(cache.SnapshotFolder(commit));
            }
        }
        else if (options.Offline)
        {
            throw new HubException(HubErrorKind.Offline,
                $"HF_HUB_OFFLINE is set, so nothing is downloaded, and {repoId} (revision '{revision}') is not in the "
                + $"Hugging Face cache at {options.CacheDirectory}. Download it once online, or unset HF_HUB_OFFLINE.", repoId);
        }

        return Path.GetFullPath(await DownloadAsync(cache, revision, commit, progress, ct).ConfigureAwait(false));
    }

    async Task<string> DownloadAsync(HubCache cache, string revision, string? commit, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var downloader = NewDownloader();
        var repoId = cache.RepoId;
        // Ask about every file before fetching any, so a repository without (say) merges.txt fails before the
        // weights are downloaded. Once the first answer names the commit, the rest are asked at that commit so a
        // push in between cannot mix two versions.
        var remote = new List<RemoteFile>();
        foreach (var file in ClipModelFiles.Required.Concat(ClipModelFiles.Optional))
        {
            var info = await downloader.GetMetadataAsync(repoId, commit ?? revision, file, ct).ConfigureAwait(false);
            if (commit is null && info.Commit is not null)
            {
                commit = info.Commit;
                cache.WriteRef(revision, commit);
            }
            if (!info.Exists && ClipModelFiles.Required.Contains(file))
            {
                if (commit is not null)
                    cache.MarkAbsent(commit, file);
                throw MissingRequired(repoId, revision, file);
            }
            remote.Add(info);
        }
        if (commit is null)
            throw new HubException(HubErrorKind.Protocol,
                $"{options.Endpoint} sent no commit hash (X-Repo-Commit) for {repoId}: it does not look like a Hugging Face hub.", repoId);

        foreach (var info in remote)
        {
            if (!info.Exists)
                cache.MarkAbsent(commit, info.Name);
            else if (!cache.HasFile(commit, info.Name))
                await FetchAsync(downloader, cache, commit, info, progress, ct).ConfigureAwait(false);
        }
        return cache.SnapshotFolder(commit);
    }

    /// <summary>Completes a cached snapshot that has every required file; failing to is no error, the model is usable.</summary>
    async Task FetchOptionalAsync(HubCache cache, string commit, IReadOnlyList<string> files, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var downloader = NewDownloader();
        foreach (var file in files)
        {
            try
            {
                var info = await downloader.GetMetadataAsync(cache.RepoId, commit, file, ct).ConfigureAwait(false);
                if (!info.Exists)
                    cache.MarkAbsent(commit, file);
                else
                    await FetchAsync(downloader, cache, commit, info, progress, ct).ConfigureAwait(false);
            }
            catch (HubException)
            {
                return; // the cached model is usable without its optional files, whatever kept them away
            }
        }
    }

    static async Task FetchAsync(HubDownloader downloader, HubCache cache, string commit, RemoteFile info, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        await downloader.DownloadBlobAsync(cache, info, progress, ct).ConfigureAwait(false);
        cache.LinkSnapshotFile(commit, info.Name, info.Etag!);
    }

    HubDownloader NewDownloader() => new(http, options, Math.Max(0, DownloadRetries), RetryDelay);

    HubException MissingRequired(string repoId, string revision, string file)
    {
        var why = file == ClipModelFiles.Weights
            ? " Maple loads safetensors weights only; a repository with just pytorch_model.bin is not supported."
            : " The file is needed to load a CLIP model.";
        return new HubException(HubErrorKind.NotFound,
            $"{repoId} has no {file} at revision '{revision}' on {options.Endpoint.TrimEnd('/')}.{why}", repoId, file);
    }
}
