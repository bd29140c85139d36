namespace Maple;

/// <summary>Facts about this build of the library.</summary>
public static class MapleInfo
{
    /// <summary>The library version, recorded in checkpoints and results.</summary>
    public static string Version { get; } =
        typeof(MapleInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
