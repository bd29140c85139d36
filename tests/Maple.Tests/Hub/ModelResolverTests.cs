using System.Security.Cryptography;
using Maple.Clip.Hub;

namespace Maple.Tests.Hub;

public sealed class ModelResolverTests
{
    [Fact]
    public async Task DownloadLaysOutTheCacheAsHuggingFaceHubDoes()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        var progress = new ProgressLog();

        var folder = await new ModelResolver(cache.Options(hub)).ResolveAsync(SampleRepo.Id, progress);

        var repo = cache.RepoFolder(SampleRepo.Id);
        Assert.Equal(Path.Combine(repo, "snapshots", hub.Commit), folder);
        Assert.Equal(hub.Commit, File.ReadAllText(Path.Combine(repo, "refs", "main")));
        foreach (var (name, content) in hub.Files)
        {
            var etag = hub.EtagOf(name);
            var entry = new FileInfo(Path.Combine(folder, name));
            Assert.Equal($"../../blobs/{etag}", entry.LinkTarget);
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(repo, "blobs", etag)));
            Assert.Equal(content, File.ReadAllBytes(entry.FullName));
        }
        Assert.Equal(FakeHub.Sha256(hub.Files["model.safetensors"]), hub.EtagOf("model.safetensors"));
        Assert.True(File.Exists(Path.Combine(repo, ".no_exist", hub.Commit, "preprocessor_config.json")));
        Assert.False(File.Exists(Path.Combine(folder, "preprocessor_config.json")));
        Assert.Empty(Directory.GetFiles(Path.Combine(repo, "blobs"), "*.incomplete"));
        Assert.All(hub.Requests, r => Assert.Null(r.Header("Authorization")));
        Assert.All(hub.Requests, r => Assert.Null(r.Header("Range")));

        var weights = progress.Reports.Where(p => p.FileName == "model.safetensors").ToList();
        Assert.NotEmpty(weights);
        Assert.Equal(300_000, weights[^1].BytesDone);
        Assert.Equal(300_000, weights[^1].TotalBytes);
        Assert.True(weights[^1].BytesPerSecond > 0);
    }

    [Fact]
    public async Task TheFixtureModelDownloadsByteForByte()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub("openai/tiny-maple", SampleRepo.FixtureFiles());

        var folder = await new ModelResolver(cache.Options(hub)).ResolveAsync("openai/tiny-maple");

        foreach (var name in Directory.GetFiles(Fixtures.TinyMapleModel).Select(Path.GetFileName))
            Assert.Equal(File.ReadAllBytes(Path.Combine(Fixtures.TinyMapleModel, name!)), File.ReadAllBytes(Path.Combine(folder, name!)));
        var weights = File.ReadAllBytes(Path.Combine(folder, "model.safetensors"));
        Assert.Equal(hub.EtagOf("model.safetensors"), Convert.ToHexStringLower(SHA256.HashData(weights)));
    }

    [Fact]
    public async Task ASecondResolveIsACacheHitWithoutRequests()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        var resolver = new ModelResolver(cache.Options(hub));
        var first = await resolver.ResolveAsync(SampleRepo.Id);
        var requests = hub.Requests.Count;

        var second = await resolver.ResolveAsync(SampleRepo.Id);

        Assert.Equal(first, second);
        Assert.Equal(requests, hub.Requests.Count);
    }

    [Fact]
    public async Task ACacheWrittenByPythonIsUsedAsItIsOffline()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub("openai/clip-vit-base-patch16", SampleRepo.FixtureFiles());
        var snapshot = PythonCache.Write(cache.RepoFolder(hub.RepoId), hub, absent: ["preprocessor_config.json"]);

        var offline = await new ModelResolver(cache.Options(hub, offline: true)).ResolveAsync(hub.RepoId);
        var online = await new ModelResolver(cache.Options(hub)).ResolveAsync(hub.RepoId);

        Assert.Equal(snapshot, offline);
        Assert.Equal(snapshot, online);
        Assert.Empty(hub.Requests);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Fixtures.TinyMapleModel, "vocab.json")), File.ReadAllBytes(Path.Combine(offline, "vocab.json")));
    }

    [Fact]
    public async Task OptionalFilesMissingFromACachedModelAreFetchedAtTheCachedCommit()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        var required = hub.Files.Where(f => ClipModelFiles.Required.Contains(f.Key)).ToDictionary();
        var snapshot = PythonCache.Write(cache.RepoFolder(hub.RepoId), hub, only: required.Keys);

        var folder = await new ModelResolver(cache.Options(hub)).ResolveAsync(hub.RepoId);

        Assert.Equal(snapshot, folder);
        Assert.True(File.Exists(Path.Combine(folder, "tokenizer_config.json")));
        Assert.All(hub.Requests, r => Assert.Contains($"/resolve/{hub.Commit}/", r.Path));
        Assert.DoesNotContain(hub.Requests, r => ClipModelFiles.Required.Any(f => r.Path.EndsWith('/' + f)));
    }

    [Fact]
    public async Task ACachedModelLackingOnlyOptionalFilesIsUsedWhenTheHubIsUnreachable()
    {
        using var cache = new TempCache();
        string snapshot;
        HubOptions options;
        using (var gone = new FakeHub(SampleRepo.Id, SampleRepo.Files()))
        {
            snapshot = PythonCache.Write(cache.RepoFolder(gone.RepoId), gone, only: ClipModelFiles.Required);
            options = cache.Options(gone);
        }

        Assert.Equal(snapshot, await new ModelResolver(options).ResolveAsync(SampleRepo.Id));
    }

    [Fact]
    public async Task AnInterruptedDownloadResumesWithARangeRequest()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        hub.CutDownloads("model.safetensors", afterBytes: 100_000);
        var resolver = new ModelResolver(cache.Options(hub)) { DownloadRetries = 0 };

        var error = await Assert.ThrowsAsync<HubException>(() => resolver.ResolveAsync(SampleRepo.Id));

        Assert.Equal(HubErrorKind.Interrupted, error.Kind);
        Assert.Equal("model.safetensors", error.FileName);
        var etag = hub.EtagOf("model.safetensors");
        var incomplete = Path.Combine(cache.RepoFolder(SampleRepo.Id), "blobs", etag + ".incomplete");
        Assert.Equal(100_000, new FileInfo(incomplete).Length);

        var folder = await resolver.ResolveAsync(SampleRepo.Id);

        var resumed = hub.Requests.Last(r => r.Method == "GET" && r.Path.EndsWith("/model.safetensors"));
        Assert.Equal("bytes=100000-", resumed.Header("Range"));
        Assert.Equal(hub.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.False(File.Exists(incomplete));
    }

    [Fact]
    public async Task ACancelledDownloadKeepsItsPartialFileForTheNextResolve()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files(weightBytes: 4_000_000)) { ChunkDelay = TimeSpan.FromMilliseconds(20) };
        var resolver = new ModelResolver(cache.Options(hub));
        using var cancel = new CancellationTokenSource();
        var progress = new CallbackProgress(p =>
        {
            if (p.FileName == "model.safetensors" && p.BytesDone > 0)
                cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolver.ResolveAsync(SampleRepo.Id, progress, cancel.Token));

        var incomplete = Path.Combine(cache.RepoFolder(SampleRepo.Id), "blobs", hub.EtagOf("model.safetensors") + ".incomplete");
        var kept = new FileInfo(incomplete).Length;
        Assert.InRange(kept, 1, 4_000_000 - 1);
        hub.ChunkDelay = null;

        var folder = await resolver.ResolveAsync(SampleRepo.Id);

        var resumed = hub.Requests.Last(r => r.Method == "GET" && r.Path.EndsWith("/model.safetensors"));
        Assert.Equal($"bytes={kept}-", resumed.Header("Range"));
        Assert.Equal(hub.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
    }

    [Fact]
    public async Task ABrokenTransferIsResumedWithinOneResolve()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        hub.CutDownloads("model.safetensors", afterBytes: 70_000, times: 2);
        var resolver = new ModelResolver(cache.Options(hub)) { DownloadRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(10) };

        var folder = await resolver.ResolveAsync(SampleRepo.Id);

        var gets = hub.Requests.Where(r => r.Method == "GET" && r.Path.EndsWith("/model.safetensors")).ToList();
        Assert.Equal([null, "bytes=70000-", "bytes=140000-"], gets.Select(r => r.Header("Range")));
        Assert.Equal(hub.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
    }

    [Fact]
    public async Task AChecksumMismatchIsAnErrorAndLeavesNoBlob()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        var wrong = FakeHub.Sha256([1, 2, 3]);
        hub.EtagOverrides["model.safetensors"] = wrong;

        var error = await Assert.ThrowsAsync<HubException>(() => new ModelResolver(cache.Options(hub)).ResolveAsync(SampleRepo.Id));

        Assert.Equal(HubErrorKind.Integrity, error.Kind);
        Assert.Contains(SampleRepo.Id, error.Message);
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains("sha256", error.Message);
        var blobs = Path.Combine(cache.RepoFolder(SampleRepo.Id), "blobs");
        Assert.False(File.Exists(Path.Combine(blobs, wrong)));
        Assert.False(File.Exists(Path.Combine(blobs, wrong + ".incomplete")));
        Assert.False(File.Exists(Path.Combine(cache.RepoFolder(SampleRepo.Id), "snapshots", hub.Commit, "model.safetensors")));
    }

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("vocab.json")]
    public async Task ASizeDifferentFromTheAnnouncedOneIsAnErrorAndLeavesNoBlob(string file)
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        hub.HeadSizeOverrides[file] = hub.Files[file].Length - 1;

        var error = await Assert.ThrowsAsync<HubException>(() => new ModelResolver(cache.Options(hub)).ResolveAsync(SampleRepo.Id));

        Assert.Equal(HubErrorKind.Integrity, error.Kind);
        Assert.Equal(file, error.FileName);
        Assert.Contains($"announced {hub.Files[file].Length - 1}", error.Message);
        var blobs = Path.Combine(cache.RepoFolder(SampleRepo.Id), "blobs");
        Assert.False(File.Exists(Path.Combine(blobs, hub.EtagOf(file))));
        Assert.False(File.Exists(Path.Combine(blobs, hub.EtagOf(file) + ".incomplete")));
    }

    [Fact]
    public async Task ConcurrentResolvesOfOneModelShareOneDownload()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files(weightBytes: 2_000_000));
        var resolver = new ModelResolver(cache.Options(hub));

        var folders = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => resolver.ResolveAsync(SampleRepo.Id))));

        Assert.All(folders, f => Assert.Equal(folders[0], f));
        Assert.Equal(hub.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(folders[0], "model.safetensors")));
        Assert.Single(hub.Requests, r => r.Method == "GET" && r.Path.EndsWith("/model.safetensors"));
        Assert.Equal(hub.Files.Count, Directory.GetFiles(folders[0]).Length);
    }

    [Fact]
    public async Task ARequiredFileMissingFromTheRepoIsAnErrorNamingRepoAndFileBeforeAnyDownload()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        hub.Files.Remove("merges.txt");

        var error = await Assert.ThrowsAsync<HubException>(() => new ModelResolver(cache.Options(hub)).ResolveAsync(SampleRepo.Id));

        Assert.Equal(HubErrorKind.NotFound, error.Kind);
        Assert.Equal(SampleRepo.Id, error.RepoId);
        Assert.Equal("merges.txt", error.FileName);
        Assert.Contains(SampleRepo.Id, error.Message);
        Assert.Contains("merges.txt", error.Message);
        Assert.DoesNotContain(hub.Requests, r => r.Method == "GET");
    }

    [Fact]
    public async Task ARepoWithoutSafetensorsWeightsIsAClearError()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        hub.Files.Remove("model.safetensors");
        hub.Files["pytorch_model.bin"] = [1, 2, 3];

        var error = await Assert.ThrowsAsync<HubException>(() => new ModelResolver(cache.Options(hub)).ResolveAsync(SampleRepo.Id));

        Assert.Equal("model.safetensors", error.FileName);
        Assert.Contains("safetensors", error.Message);
    }

    [Fact]
    public async Task OptionalFilesMayBeMissing()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        foreach (var optional in ClipModelFiles.Optional)
            hub.Files.Remove(optional);

        var folder = await new ModelResolver(cache.Options(hub)).ResolveAsync(SampleRepo.Id);

        Assert.All(ClipModelFiles.Required, f => Assert.True(File.Exists(Path.Combine(folder, f))));
        Assert.All(ClipModelFiles.Optional, f => Assert.False(File.Exists(Path.Combine(folder, f))));
    }

    [Fact]
    public async Task OfflineWithAModelNotCachedFailsWithoutTouchingTheNetwork()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());

        var error = await Assert.ThrowsAsync<HubException>(
            () => new ModelResolver(cache.Options(hub, offline: true)).ResolveAsync(SampleRepo.Id));

        Assert.Equal(HubErrorKind.Offline, error.Kind);
        Assert.Contains("HF_HUB_OFFLINE", error.Message);
        Assert.Contains(SampleRepo.Id, error.Message);
        Assert.Contains("not in the", error.Message);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public async Task OfflineWithAPartlyCachedModelNamesTheMissingFiles()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        PythonCache.Write(cache.RepoFolder(hub.RepoId), hub, only: ["config.json", "vocab.json"]);

        var error = await Assert.ThrowsAsync<HubException>(
            () => new ModelResolver(cache.Options(hub, offline: true)).ResolveAsync(SampleRepo.Id));

        Assert.Equal(HubErrorKind.Offline, error.Kind);
        Assert.Contains("model.safetensors, merges.txt", error.Message);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public async Task TheTokenIsSentAsABearerHeader()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files()) { RequiredToken = "hf_secret" };

        await new ModelResolver(cache.Options(hub, token: "hf_secret")).ResolveAsync(SampleRepo.Id);

        Assert.NotEmpty(hub.Requests);
        Assert.All(hub.Requests, r => Assert.Equal("Bearer hf_secret", r.Header("Authorization")));
    }

    [Fact]
    public async Task RefusedAccessSaysToSetHfToken()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files()) { RequiredToken = "hf_secret" };

        var error = await Assert.ThrowsAsync<HubException>(() => new ModelResolver(cache.Options(hub)).ResolveAsync(SampleRepo.Id));

        Assert.Equal(HubErrorKind.Unauthorized, error.Kind);
        Assert.Contains("HF_TOKEN", error.Message);
        Assert.Contains(SampleRepo.Id, error.Message);
    }

    [Fact]
    public async Task AnUnknownRepoIsAnErrorNamingIt()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());

        var error = await Assert.ThrowsAsync<HubException>(() => new ModelResolver(cache.Options(hub)).ResolveAsync("nobody/nothing"));

        Assert.Contains("nobody/nothing", error.Message);
        Assert.Contains("not found", error.Message);
    }

    [Fact]
    public async Task AnUnknownRevisionIsAnErrorNamingIt()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());

        var error = await Assert.ThrowsAsync<HubException>(
            () => new ModelResolver(cache.Options(hub, revision: "v9")).ResolveAsync(SampleRepo.Id));

        Assert.Equal(HubErrorKind.NotFound, error.Kind);
        Assert.Contains("'v9'", error.Message);
    }

    [Fact]
    public async Task LfsFilesFollowTheRedirectToTheCdnWithoutTheToken()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files(), useCdn: true);

        var folder = await new ModelResolver(cache.Options(hub, token: "hf_secret")).ResolveAsync(SampleRepo.Id);

        Assert.Equal(hub.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.Equal($"../../blobs/{hub.EtagOf("model.safetensors")}", new FileInfo(Path.Combine(folder, "model.safetensors")).LinkTarget);
        var cdnGet = Assert.Single(hub.CdnRequests);
        Assert.Equal("GET", cdnGet.Method);
        Assert.Null(cdnGet.Header("Authorization"));
        Assert.DoesNotContain(hub.Requests, r => r.Method == "GET" && r.Path.EndsWith("/model.safetensors"));
    }

    [Fact]
    public async Task ACommitRevisionNamesTheSnapshotAndWritesNoRef()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());
        var resolver = new ModelResolver(cache.Options(hub, revision: hub.Commit));

        var folder = await resolver.ResolveAsync(SampleRepo.Id);
        var requests = hub.Requests.Count;
        var again = await resolver.ResolveAsync(SampleRepo.Id);

        Assert.Equal(folder, again);
        Assert.Equal(requests, hub.Requests.Count);
        Assert.EndsWith(hub.Commit, folder);
        Assert.False(Directory.Exists(Path.Combine(cache.RepoFolder(SampleRepo.Id), "refs")));
    }

    [Fact]
    public async Task ALocalFolderIsUsedAsItIs()
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());

        var folder = await new ModelResolver(cache.Options(hub)).ResolveAsync(Fixtures.TinyMapleModel);

        Assert.Equal(Path.GetFullPath(Fixtures.TinyMapleModel), folder);
        Assert.Empty(hub.Requests);
    }

    [Theory]
    [InlineData("./no/such/folder")]
    [InlineData("/no/such/folder")]
    [InlineData("bad id with spaces")]
    [InlineData("a/b/c")]
    public async Task AMissingFolderOrInvalidIdIsAClearError(string model)
    {
        using var cache = new TempCache();
        using var hub = new FakeHub(SampleRepo.Id, SampleRepo.Files());

        var error = await Assert.ThrowsAsync<HubException>(() => new ModelResolver(cache.Options(hub)).ResolveAsync(model));

        Assert.Equal(HubErrorKind.InvalidModel, error.Kind);
        Assert.Contains(model, error.Message);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public async Task AnUnreachableHubSaysSoAndPointsToOfflineMode()
    {
        using var cache = new TempCache();
        string endpoint;
        using (var gone = new FakeHub(SampleRepo.Id, SampleRepo.Files()))
            endpoint = gone.Endpoint;
        var options = new HubOptions(endpoint, cache.Root, null, false);

        var error = await Assert.ThrowsAsync<HubException>(() => new ModelResolver(options).ResolveAsync(SampleRepo.Id));

        Assert.Equal(HubErrorKind.Network, error.Kind);
        Assert.Contains("HF_HUB_OFFLINE", error.Message);
    }
}
