using System.Collections.Concurrent;
using System.Text;
using Maple.Clip.Hub;

namespace Maple.Tests.Hub;

/// <summary>A cache folder of its own for one test, deleted afterwards.</summary>
sealed class TempCache : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("maple-hub-").FullName;

    public string RepoFolder(string repoId) => Path.Combine(Root, "models--" + repoId.Replace("/", "--"));

    public HubOptions Options(FakeHub hub, string? token = null, bool offline = false, string revision = "main") =>
        new(hub.Endpoint, Root, token, offline, revision);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>Records progress synchronously (Progress&lt;T&gt; would post to the thread pool and race the asserts).</summary>
sealed class ProgressLog : IProgress<DownloadProgress>
{
    readonly ConcurrentQueue<DownloadProgress> reports = new();

    public IReadOnlyList<DownloadProgress> Reports => [.. reports];

    public void Report(DownloadProgress value) => reports.Enqueue(value);
}

sealed class CallbackProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
{
    public void Report(DownloadProgress value) => report(value);
}

static class SampleRepo
{
    public const string Id = "tiny-org/tiny-clip";

    /// <summary>A small CLIP-shaped repository without preprocessor_config.json; the weights are random bytes.</summary>
    public static Dictionary<string, byte[]> Files(int weightBytes = 300_000)
    {
        var weights = new byte[weightBytes];
        new Random(1234).NextBytes(weights);
        return new Dictionary<string, byte[]>
        {
            ["config.json"] = Encoding.UTF8.GetBytes("{\"model_type\": \"clip\"}"),
            ["model.safetensors"] = weights,
            ["vocab.json"] = Encoding.UTF8.GetBytes("{\"a</w>\": 0}"),
            ["merges.txt"] = Encoding.UTF8.GetBytes("#version: 0.2\n"),
            ["tokenizer_config.json"] = Encoding.UTF8.GetBytes("{}"),
            ["special_tokens_map.json"] = Encoding.UTF8.GetBytes("{}"),
        };
    }

    /// <summary>The read-only tiny-maple fixture's files.</summary>
    public static Dictionary<string, byte[]> FixtureFiles() =>
        Directory.GetFiles(Fixtures.TinyMapleModel).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
}
