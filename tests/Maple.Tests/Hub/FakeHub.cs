using System.Security.Cryptography;
using System.Text;

namespace Maple.Tests.Hub;

/// <summary>
/// Serves one model repository the way huggingface.co does: <c>/{repo}/resolve/{revision}/{file}</c> answering HEAD
/// and GET with <c>X-Repo-Commit</c> and an <c>ETag</c> (git blob id) or, for LFS files, <c>X-Linked-Etag</c> (sha256)
/// and <c>X-Linked-Size</c>; <c>Range</c> requests; 404s with <c>X-Error-Code</c>. Knobs let tests break it.
/// </summary>
sealed class FakeHub : IDisposable
{
    readonly TestHttpServer server;
    readonly TestHttpServer? cdn;
    int cutsLeft;

    public FakeHub(string repoId, IDictionary<string, byte[]> files, bool useCdn = false)
    {
        RepoId = repoId;
        Files = new Dictionary<string, byte[]>(files);
        server = new TestHttpServer(Handle);
        if (useCdn)
            cdn = new TestHttpServer(HandleCdn);
    }

    public string RepoId { get; }

    public string Commit { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    public Dictionary<string, byte[]> Files { get; }

    public string Endpoint => server.Endpoint;

    public IReadOnlyList<TestRequest> Requests => server.Requests;

    public IReadOnlyList<TestRequest> CdnRequests => cdn?.Requests ?? [];

    /// <summary>When set, requests without <c>Authorization: Bearer {token}</c> get 401.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>ETags to announce instead of the true ones, by file.</summary>
    public Dictionary<string, string> EtagOverrides { get; } = [];

    /// <summary>When set, file bodies are sent slowly, 64 KiB at a time with this pause between.</summary>
    public TimeSpan? ChunkDelay { get; set; }

    /// <summary>Sizes to announce in HEAD answers instead of the true ones, by file.</summary>
    public Dictionary<string, long> HeadSizeOverrides { get; } = [];

    /// <summary>Breaks the next GETs of this file off after this many body bytes.</summary>
    public void CutDownloads(string file, int afterBytes, int times = 1)
    {
        CutFile = file;
        CutBytes = afterBytes;
        cutsLeft = times;
    }

    string? CutFile { get; set; }

    int CutBytes { get; set; }

    public static bool IsLfs(string file) => file.EndsWith(".safetensors", StringComparison.Ordinal);

    public string EtagOf(string file) =>
        EtagOverrides.TryGetValue(file, out var etag) ? etag
        : IsLfs(file) ? Sha256(Files[file])
        : GitBlobId(Files[file]);

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    static string GitBlobId(byte[] data) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {data.Length}\0"), .. data]));

    public void Dispose()
    {
        server.Dispose();
        cdn?.Dispose();
    }

    TestResponse Handle(TestRequest request)
    {
        if (RequiredToken is not null && request.Header("Authorization") != $"Bearer {RequiredToken}")
            return Error(401, "RepositoryNotFound");
        var prefix = $"/{RepoId}/resolve/";
        if (!request.Path.StartsWith(prefix, StringComparison.Ordinal))
            return Error(401, "RepositoryNotFound"); // the hub hides whether a repository exists
        var rest = request.Path[prefix.Length..];
        var slash = rest.IndexOf('/');
        var revision = Uri.UnescapeDataString(rest[..slash]);
        var file = Uri.UnescapeDataString(rest[(slash + 1)..]);
        if (revision != "main" && revision != Commit)
            return Error(404, "RevisionNotFound");
        if (!Files.TryGetValue(file, out var content))
        {
            var missing = Error(404, "EntryNotFound");
            missing.Headers["X-Repo-Commit"] = Commit;
            return missing;
        }

        var etag = EtagOf(file);
        if (IsLfs(file) && cdn is not null)
        {
            var redirect = new TestResponse { Status = 302 };
            redirect.Headers["Location"] = $"{cdn.Endpoint}/blobs/{etag}?signature=abc";
            redirect.Headers["X-Repo-Commit"] = Commit;
            redirect.Headers["X-Linked-Etag"] = $"\"{etag}\"";
            redirect.Headers["X-Linked-Size"] = content.Length.ToString();
            redirect.Headers["ETag"] = "W/\"redirect-etag\"";
            return redirect;
        }
        var response = Content(request, file, content);
        response.Headers["X-Repo-Commit"] = Commit;
        if (IsLfs(file))
        {
            response.Headers["X-Linked-Etag"] = $"\"{etag}\"";
            response.Headers["X-Linked-Size"] = content.Length.ToString();
            response.Headers["ETag"] = "\"not-the-sha\"";
        }
        else
        {
            response.Headers["ETag"] = $"\"{etag}\"";
        }
        if (request.Method == "HEAD" && HeadSizeOverrides.TryGetValue(file, out var size))
            response.Headers[IsLfs(file) ? "X-Linked-Size" : "Content-Length"] = size.ToString();
        return response;
    }

    TestResponse HandleCdn(TestRequest request)
    {
        var etag = request.Path.Split('?')[0].Split('/')[^1];
        var file = Files.Keys.FirstOrDefault(f => EtagOf(f) == etag);
        if (file is null)
            return new TestResponse { Status = 404 };
        var response = Content(request, file, Files[file]);
        response.Headers["ETag"] = "\"cdn-etag\"";
        return response;
    }

    TestResponse Content(TestRequest request, string file, byte[] content)
    {
        int? cut = null;
        if (request.Method == "GET" && file == CutFile && cutsLeft > 0)
        {
            cutsLeft--;
            cut = CutBytes;
        }
        if (request.Method == "GET" && request.Header("Range") is { } range && range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            var from = int.Parse(range["bytes=".Length..].TrimEnd('-'));
            if (from >= content.Length)
            {
                var unsatisfiable = new TestResponse { Status = 416 };
                unsatisfiable.Headers["Content-Range"] = $"bytes */{content.Length}";
                return unsatisfiable;
            }
            var partial = new TestResponse { Status = 206, Body = content[from..], CutAfter = cut, ChunkDelay = ChunkDelay };
            partial.Headers["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}";
            return partial;
        }
        return new TestResponse { Body = content, CutAfter = cut, ChunkDelay = ChunkDelay };
    }

    static TestResponse Error(int status, string code)
    {
        var response = new TestResponse { Status = status, Body = Encoding.UTF8.GetBytes($"{{\"error\":\"{code}\"}}") };
        response.Headers["X-Error-Code"] = code;
        return response;
    }
}
