using System.Security.Cryptography;
using System.Text;

namespace Maple.Tests.Hub;

/// <summary>Writes a cache the way Python's huggingface_hub leaves it, independently of the code under test.</summary>
static class PythonCache
{
    /// <summary>Lays out the hub's files (or <paramref name="only"/> those) and returns the snapshot folder.</summary>
    public static string Write(string repoFolder, FakeHub hub, IEnumerable<string>? only = null, IEnumerable<string>? absent = null)
    {
        var snapshot = Path.Combine(repoFolder, "snapshots", hub.Commit);
        Directory.CreateDirectory(snapshot);
        Directory.CreateDirectory(Path.Combine(repoFolder, "blobs"));
        Directory.CreateDirectory(Path.Combine(repoFolder, "refs"));
        File.WriteAllText(Path.Combine(repoFolder, "refs", "main"), hub.Commit);
        foreach (var name in only ?? hub.Files.Keys)
        {
            var content = hub.Files[name];
            var etag = FakeHub.IsLfs(name)
                ? Convert.ToHexStringLower(SHA256.HashData(content))
                : Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
            File.WriteAllBytes(Path.Combine(repoFolder, "blobs", etag), content);
            File.CreateSymbolicLink(Path.Combine(snapshot, name), $"../../blobs/{etag}");
        }
        foreach (var name in absent ?? [])
        {
            Directory.CreateDirectory(Path.Combine(repoFolder, ".no_exist", hub.Commit));
            File.WriteAllBytes(Path.Combine(repoFolder, ".no_exist", hub.Commit, name), []);
        }
        return snapshot;
    }
}
