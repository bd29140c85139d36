using Maple.Clip.Hub;

namespace Maple.Tests.Hub;

public sealed class HubOptionsTests
{
    static HubOptions From(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return HubOptions.FromEnvironment(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void DefaultsFollowHuggingFaceHub()
    {
        var options = From(("HOME", "/home/ada"));

        Assert.Equal("https://huggingface.co", options.Endpoint);
        Assert.Equal("/home/ada/.cache/huggingface/hub", options.CacheDirectory);
        Assert.Null(options.Token);
        Assert.False(options.Offline);
        Assert.Equal("main", options.Revision);
    }

    [Fact]
    public void HfHubCacheWinsOverHfHomeWhichWinsOverXdg()
    {
        Assert.Equal("/x/huggingface/hub", From(("HOME", "/h"), ("XDG_CACHE_HOME", "/x")).CacheDirectory);
        Assert.Equal("/hf/hub", From(("HOME", "/h"), ("XDG_CACHE_HOME", "/x"), ("HF_HOME", "/hf")).CacheDirectory);
        Assert.Equal("/c", From(("HOME", "/h"), ("HF_HOME", "/hf"), ("HF_HUB_CACHE", "/c")).CacheDirectory);
        Assert.Equal("/h/models", From(("HOME", "/h"), ("HF_HUB_CACHE", "~/models")).CacheDirectory);
    }

    [Fact]
    public void EndpointTokenAndOfflineComeFromTheirVariables()
    {
        var options = From(("HOME", "/h"), ("HF_ENDPOINT", "https://mirror.example/"), ("HF_TOKEN", "hf_x"), ("HF_HUB_OFFLINE", "1"));

        Assert.Equal("https://mirror.example", options.Endpoint);
        Assert.Equal("hf_x", options.Token);
        Assert.True(options.Offline);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("YES", true)]
    [InlineData("on", true)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    [InlineData("", false)]
    public void OfflineAcceptsHuggingFaceHubsTrueValues(string value, bool offline) =>
        Assert.Equal(offline, From(("HOME", "/h"), ("HF_HUB_OFFLINE", value)).Offline);

    [Fact]
    public void TheLoginTokenFileIsReadWhenHfTokenIsUnset()
    {
        var home = Directory.CreateTempSubdirectory("maple-hf-home-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(home, "token"), "hf_from_file\n");

            Assert.Equal("hf_from_file", From(("HOME", "/h"), ("HF_HOME", home)).Token);
            Assert.Equal("hf_env", From(("HOME", "/h"), ("HF_HOME", home), ("HF_TOKEN", "hf_env")).Token);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void TheProcessEnvironmentIsRead()
    {
        // Reads only: the process environment is shared with tests running in parallel.
        var options = HubOptions.FromEnvironment();

        Assert.False(string.IsNullOrEmpty(options.CacheDirectory));
        Assert.StartsWith("http", options.Endpoint);
    }
}
