using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Maple.Clip.Hub;

/// <summary>
/// Talks to the hub the way huggingface_hub does: a HEAD on <c>{endpoint}/{repo}/resolve/{revision}/{file}</c> for
/// the commit, ETag and size, then a GET (resumed with <c>Range</c>) into <c>blobs/&lt;etag&gt;.incomplete</c>,
/// checked and renamed to the blob.
/// </summary>
sealed class HubDownloader
{
    const int MaxRedirects = 10;
    const int BufferSize = 1 << 16;

    // A silent connection is dead long before a large file would finish; without this a read could hang forever.
    static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);
    static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);

    readonly HttpClient http;
    readonly HubOptions options;
    readonly Uri endpoint;

    public HubDownloader(HttpClient http, HubOptions options, int retries, TimeSpan retryDelay)
    {
        this.http = http;
        this.options = options;
        endpoint = new Uri(options.Endpoint.TrimEnd('/') + "/");
        Retries = retries;
        RetryDelay = retryDelay;
    }

    int Retries { get; }

    TimeSpan RetryDelay { get; }

    string EndpointName => options.Endpoint.TrimEnd('/');

    public Uri ResolveUri(string repoId, string revision, string file) =>
        new(endpoint, $"{repoId}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");

    /// <summary>Asks the hub about one file; a file the repository lacks comes back with <c>Exists</c> false.</summary>
    public async Task<RemoteFile> GetMetadataAsync(string repoId, string revision, string file, CancellationToken ct)
    {
        var uri = ResolveUri(repoId, revision, file);
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            using var response = await SendAsync(HttpMethod.Head, uri, 0, repoId, file, ct).ConfigureAwait(false);
            if (IsRedirect(response) && Header(response, "Location") is { } location)
            {
                // A relative redirect is a renamed repository: follow it. An absolute one points at the CDN and
                // carries the LFS metadata itself, which the CDN's own answer would not.
                if (IsAbsolute(location))
                    return Describe(response, repoId, file, new Uri(location));
                uri = new Uri(uri, location);
                continue;
            }
            if (response.IsSuccessStatusCode)
                return Describe(response, repoId, file, uri);
            if (response.StatusCode == HttpStatusCode.NotFound
                && Header(response, "X-Error-Code") is not ("RepositoryNotFound" or "RevisionNotFound"))
                return new RemoteFile(file, false, Header(response, "X-Repo-Commit"), null, null, null);
            throw StatusError(response, repoId, revision, file);
        }
        throw new HubException(HubErrorKind.Network, $"Too many redirects asking {EndpointName} for {file} of {repoId}.", repoId, file);
    }

    /// <summary>Makes sure <c>blobs/&lt;etag&gt;</c> holds the file's verified content, resuming a partial download.</summary>
    public async Task DownloadBlobAsync(HubCache cache, RemoteFile file, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var etag = file.Etag!;
        var blob = cache.BlobPath(etag);
        if (File.Exists(blob))
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        using var _ = await BlobLock.AcquireAsync(cache.LockPath(etag), ct).ConfigureAwait(false);
        if (File.Exists(blob))
            return; // another process finished it while this one waited for the lock
        var incomplete = cache.IncompletePath(etag);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await TransferAsync(cache.RepoId, file, incomplete, progress, ct).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                if (attempt >= Retries)
                {
                    var have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
                    var of = file.Size is { } size ? $" of {size}" : "";
                    throw new HubException(HubErrorKind.Interrupted,
                        $"Downloading {file.Name} of {cache.RepoId} broke off after {have}{of} bytes ({e.Message}). "
                        + $"The partial file {incomplete} is kept; resolve the model again to resume.",
                        cache.RepoId, file.Name, e);
                }
                await Task.Delay(RetryDelay * (attempt + 1), ct).ConfigureAwait(false);
            }
        }
        await VerifyAsync(cache.RepoId, file, incomplete, ct).ConfigureAwait(false);
        File.Move(incomplete, blob, overwrite: true);
    }

    async Task TransferAsync(string repoId, RemoteFile file, string incomplete, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        if (file.Size is { } size)
        {
            if (have > size)
            {
                File.Delete(incomplete);
                have = 0;
            }
            if (have == size && have > 0)
                return; // an earlier attempt got everything but stopped before the check
        }

        using var response = await GetFollowingRedirectsAsync(file.DownloadUri!, have, repoId, file.Name, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
            return; // nothing left to send: the check that follows decides whether the partial file is whole
        if (!response.IsSuccessStatusCode)
            throw StatusError(response, repoId, options.Revision, file.Name);
        var append = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
        if (append && response.Content.Headers.ContentRange?.From is { } from && from != have)
            throw new HubException(HubErrorKind.Protocol,
                $"{EndpointName} resumed {file.Name} of {repoId} at byte {from} instead of {have}.", repoId, file.Name);
        if (!append)
            have = 0; // the server ignored the range: start over
        var total = file.Size ?? (append ? response.Content.Headers.ContentRange?.Length : response.Content.Headers.ContentLength);

        await using var output = new FileStream(incomplete, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
        await using var input = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var buffer = new byte[BufferSize];
        var start = have;
        var watch = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        DownloadProgress Progress() =>
            new(file.Name, have, total, (have - start) / Math.Max(watch.Elapsed.TotalSeconds, 1e-3));
        progress?.Report(Progress());
        while (true)
        {
            stall.CancelAfter(StallTimeout);
            int read;
            try
            {
                read = await input.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"no data for {StallTimeout.TotalSeconds:0} s");
            }
            if (read == 0)
                break;
            await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
            have += read;
            if (progress is not null && watch.Elapsed - lastReport >= ProgressInterval)
            {
                lastReport = watch.Elapsed;
                progress.Report(Progress());
            }
        }
        progress?.Report(Progress());
    }

    async Task VerifyAsync(string repoId, RemoteFile file, string incomplete, CancellationToken ct)
    {
        var length = new FileInfo(incomplete).Length;
        if (file.Size is { } size && length != size)
        {
            File.Delete(incomplete);
            throw new HubException(HubErrorKind.Integrity,
                $"Downloaded {length} bytes of {file.Name} of {repoId} but the hub announced {size}; "
                + "the download was deleted, resolve the model again to retry.", repoId, file.Name);
        }
        if (!file.EtagIsSha256)
            return; // a git blob id (small non-LFS file) is not a hash of the bytes alone
        string actual;
        await using (var stream = new FileStream(incomplete, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true))
            actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
        if (!string.Equals(actual, file.Etag, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(incomplete);
            throw new HubException(HubErrorKind.Integrity,
                $"Checksum mismatch for {file.Name} of {repoId}: its sha256 is {actual} but the hub announced {file.Etag}; "
                + "the download was deleted, resolve the model again to retry.", repoId, file.Name);
        }
    }

    async Task<HttpResponseMessage> GetFollowingRedirectsAsync(Uri uri, long offset, string repoId, string file, CancellationToken ct)
    {
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            var response = await SendAsync(HttpMethod.Get, uri, offset, repoId, file, ct).ConfigureAwait(false);
            if (!IsRedirect(response) || Header(response, "Location") is not { } location)
                return response;
            response.Dispose();
            uri = new Uri(uri, location);
        }
        throw new HubException(HubErrorKind.Network, $"Too many redirects downloading {file} of {repoId}.", repoId, file);
    }

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, long offset, string repoId, string file, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.UserAgent.ParseAdd($"maple/{MapleInfo.Version}");
        // Compressed transfer would make Content-Length and Range refer to other bytes than the file's.
        request.Headers.AcceptEncoding.ParseAdd("identity");
        // The token is for the hub only: a CDN address it redirects to is signed and must not see it.
        if (options.Token is { } token && IsEndpoint(uri))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (offset > 0)
            request.Headers.Range = new RangeHeaderValue(offset, null);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StallTimeout);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            var cause = e is OperationCanceledException ? $"no answer within {StallTimeout.TotalSeconds:0} s" : e.Message;
            throw new HubException(HubErrorKind.Network,
                $"Could not reach {EndpointName} for {file} of {repoId}: {cause}. "
                + "Set HF_HUB_OFFLINE=1 to use only models already in the cache.", repoId, file, e);
        }
    }

    RemoteFile Describe(HttpResponseMessage response, string repoId, string file, Uri downloadUri)
    {
        var commit = Header(response, "X-Repo-Commit");
        var etag = NormalizeEtag(Header(response, "X-Linked-Etag") ?? Header(response, "ETag"));
        long? size = long.TryParse(Header(response, "X-Linked-Size"), out var linked) ? linked : response.Content.Headers.ContentLength;
        // Without these the file cannot be placed in the cache; a server lacking them is not a hub (or the
        // HttpClient given followed the CDN redirect, whose answer lacks them).
        if (commit is null || !RepoIds.IsCommitHash(commit))
            throw new HubException(HubErrorKind.Protocol,
                $"{EndpointName} sent no commit hash (X-Repo-Commit) for {file} of {repoId}: it does not look like a "
                + "Hugging Face hub, or the HttpClient given to ModelResolver follows redirects (it must not).", repoId, file);
        if (etag is null || !IsSafeFileName(etag))
            throw new HubException(HubErrorKind.Protocol,
                $"{EndpointName} sent no usable ETag for {file} of {repoId}, so it cannot be cached.", repoId, file);
        return new RemoteFile(file, true, commit, etag, size, downloadUri);
    }

    HubException StatusError(HttpResponseMessage response, string repoId, string revision, string file)
    {
        var status = (int)response.StatusCode;
        var code = Header(response, "X-Error-Code");
        var tokenNote = options.Token is null
            ? "set HF_TOKEN to a token that can read it"
            : "the HF_TOKEN that is set was not accepted for it";
        return code switch
        {
            "RepositoryNotFound" => new HubException(
                status is 401 or 403 ? HubErrorKind.Unauthorized : HubErrorKind.NotFound,
                $"Repository {repoId} was not found on {EndpointName} (while fetching {file}). "
                + $"Check the id; if it is private or gated, {tokenNote}.", repoId, file),
            "RevisionNotFound" => new HubException(HubErrorKind.NotFound,
                $"Revision '{revision}' of {repoId} was not found on {EndpointName} (while fetching {file}).", repoId, file),
            "EntryNotFound" => new HubException(HubErrorKind.NotFound,
                $"{repoId} has no file {file} at revision '{revision}' on {EndpointName}.", repoId, file),
            _ when status is 401 or 403 => new HubException(HubErrorKind.Unauthorized,
                $"{EndpointName} refused access to {file} of {repoId} ({status}): "
                + (code == "GatedRepo" ? "the model is gated: accept its terms on its page and " : "")
                + $"{tokenNote}.", repoId, file),
            _ => new HubException(HubErrorKind.Network,
                $"{EndpointName} answered {status} {response.ReasonPhrase} for {file} of {repoId}.", repoId, file),
        };
    }

    static bool IsTransient(Exception e, CancellationToken ct) =>
        e is IOException or HttpRequestException or TimeoutException
        || (e is HubException { Kind: HubErrorKind.Network })
        || (e is OperationCanceledException && !ct.IsCancellationRequested);

    bool IsEndpoint(Uri uri) =>
        Uri.Compare(uri, endpoint, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    static bool IsRedirect(HttpResponseMessage response) => (int)response.StatusCode is >= 300 and < 400;

    // Checked on the raw text: on Unix "/org/name/..." would otherwise parse as an absolute file:// URI.
    static bool IsAbsolute(string location) =>
        location.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    static string? Header(HttpResponseMessage response, string name)
    {
        if (response.Headers.NonValidated.TryGetValues(name, out var values)
            || response.Content.Headers.NonValidated.TryGetValues(name, out values))
        {
            foreach (var value in values)
                return value;
        }
        return null;
    }

    static string? NormalizeEtag(string? etag)
    {
        if (etag is null)
            return null;
        etag = etag.Trim();
        if (etag.StartsWith("W/", StringComparison.Ordinal))
            etag = etag[2..];
        etag = etag.Trim('"');
        return etag.Length > 0 ? etag : null;
    }

    // The ETag becomes a file name in blobs/: a hostile server must not be able to point it elsewhere.
    static bool IsSafeFileName(string name) =>
        name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
