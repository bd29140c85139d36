namespace Maple.Clip.Hub;

/// <summary>Where models come from and where they are cached, following huggingface_hub's conventions.</summary>
/// <param name="Endpoint">Hub address, e.g. <c>https://huggingface.co</c> (a trailing slash is ignored).</param>
/// <param name="CacheDirectory">The hub cache root: the folder that holds <c>models--org--name</c> folders.</param>
/// <param name="Token">Access token sent as <c>Authorization: Bearer</c> to the endpoint, or null for none.</param>
/// <param name="Offline">When true nothing is requested from the network: only the cache is used.</param>
/// <param name="Revision">Branch, tag or 40-hex commit hash to resolve.</param>
public sealed record HubOptions(string Endpoint, string CacheDirectory, string? Token, bool Offline, string Revision = "main")
{
    /// <summary>The public Hugging Face hub, used when <c>HF_ENDPOINT</c> is not set.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Reads the options from the process environment; see <see cref="FromEnvironment(Func{string, string?})"/>.</summary>
    /// <returns>The options the environment asks for.</returns>
    public static HubOptions FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>
    /// Reads the options from environment variables as huggingface_hub does: <c>HF_ENDPOINT</c>;
    /// <c>HF_HUB_CACHE</c>, else <c>HF_HOME/hub</c>, else <c>$XDG_CACHE_HOME/huggingface/hub</c>, else
    /// <c>~/.cache/huggingface/hub</c>; <c>HF_TOKEN</c>, else the token file left by <c>huggingface-cli login</c>
    /// (<c>HF_TOKEN_PATH</c>, else <c>HF_HOME/token</c>); <c>HF_HUB_OFFLINE</c> (1, true, yes or on).
    /// </summary>
    /// <param name="getVariable">Looks up one environment variable by name; null when unset.</param>
    /// <returns>The options the variables ask for.</returns>
    public static HubOptions FromEnvironment(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        string? Get(string name) => getVariable(name) is { Length: > 0 } value ? value : null;

        var home = Get("HOME") ?? Get("USERPROFILE") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string Expand(string path) =>
            path == "~" ? home
            : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..])
            : path;

        var hfHome = Expand(Get("HF_HOME")
            ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(home, ".cache"), "huggingface"));
        // HUGGINGFACE_HUB_CACHE is the older name huggingface_hub still honours.
        var cache = Expand(Get("HF_HUB_CACHE") ?? Get("HUGGINGFACE_HUB_CACHE") ?? Path.Combine(hfHome, "hub"));
        var endpoint = (Get("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/');
        var token = Get("HF_TOKEN") ?? ReadTokenFile(Expand(Get("HF_TOKEN_PATH") ?? Path.Combine(hfHome, "token")));
        return new HubOptions(endpoint, cache, token, IsTrue(Get("HF_HUB_OFFLINE")));
    }

    static bool IsTrue(string? value) =>
        value is not null && (value.Trim().ToUpperInvariant() is "1" or "TRUE" or "YES" or "ON");

    static string? ReadTokenFile(string path)
    {
        try
        {
            return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } token ? token : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
