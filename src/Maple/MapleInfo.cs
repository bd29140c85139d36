namespace Maple;

/// <summary>Facts about this build of the library.</summary>
public static class MapleInfo
{
    /// <summary>The library version, recorded in checkpoints and results.</summary>
    public static string Version { get; } =
        typeof(MapleInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Maple's cache folder: <c>$MAPLE_CACHE</c>, else <c>$XDG_CACHE_HOME/maple</c>, else <c>~/.cache/maple</c>.</summary>
    public static string CacheRoot
    {
        get
        {
            if (Environment.GetEnvironmentVariable("MAPLE_CACHE") is { Length: > 0 } maple)
                return maple;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var cache = xdg is { Length: > 0 } ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "maple");
        }
    }
}
